import type { Endpoint } from '../../config/endpoint.ts'
import type { DurableScope } from '../driver.ts'
import { pgConnectMaintenance } from './postgres-connect.ts'
import { parseLsn } from './postgres-replica-lag.ts'

/**
 * The primary's WAL insert position (pg_current_wal_lsn), for the replication cost of the load
 * back and swap (pipeline/replication): physical standbys replay every byte of it, so the WAL
 * of the changed tables is the floor. Null on a standby (recovery), where nothing is written.
 */
export async function walPosition(server: Endpoint): Promise<string | null> {
  // Server-wide, and the database named may not exist yet (a separate target before its load).
  const client = await pgConnectMaintenance(server)
  try {
    const { rows } = await client.query('SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn')
    return rows[0].lsn ?? null
  } finally {
    await client.end()
  }
}

/** Bytes of WAL between two positions (pg_wal_lsn_diff, computed here). */
export async function walBytes(_server: Endpoint, from: string, to: string): Promise<number | null> {
  return Number(parseLsn(to) - parseLsn(from))
}

/**
 * Ephemeral staging runs with synchronous_commit off: the last commits may still sit in WAL
 * buffers. A commit with a transaction id and synchronous_commit on waits until the WAL up to
 * it is written, so every commit so far survives a crash of the server (fsync is off there:
 * written to the OS is what a server crash cannot take).
 */
export async function flushCommits(server: Endpoint, scope: DurableScope = 'commits'): Promise<void> {
  const client = await pgConnectMaintenance(server)
  try {
    await client.query('BEGIN')
    await client.query('SET LOCAL synchronous_commit = on')
    await client.query('SELECT pg_current_xact_id()')
    await client.query('COMMIT')
    // A kill -9 right after the load lost setval()s although their WAL was flushed
    // (test/postgres/staging-dies.test.ts): at a stage's end the pages themselves are written.
    if (scope === 'everything') await client.query('CHECKPOINT')
  } finally {
    await client.end().catch(() => {})
  }
}
