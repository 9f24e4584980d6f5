import type { Endpoint } from '../../endpoint.ts'
import { pgConnect } from './postgres-connect.ts'
import { parseLsn } from './postgres-replica-lag.ts'

/**
 * The primary's WAL insert position (pg_current_wal_lsn), for the replication cost of the load
 * back and swap (pipeline/replication): physical standbys replay every byte of it, so the WAL
 * of the changed tables is the floor. Null on a standby (recovery), where nothing is written.
 */
export async function walPosition(server: Endpoint): Promise<string | null> {
  const client = await pgConnect(server)
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
