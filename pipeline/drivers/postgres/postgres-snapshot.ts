import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { Snapshot } from '../driver.ts'
import { pgConnect } from './postgres-connect.ts'
import { PostgresSession } from './postgres-session.ts'

/**
 * One REPEATABLE READ, READ ONLY transaction exports its snapshot; every worker imports it,
 * so every table (and pg_dump's schema) is read as of the same instant.
 */
export async function openSnapshot(ep: Endpoint): Promise<Snapshot> {
  const holder = await pgConnect(ep)
  await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY')
  const { rows: [state] } = await holder.query(`
    SELECT pg_export_snapshot() AS id,
           (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn`)
  const workers: PostgresSession[] = []
  return {
    id: state.id,
    position: `wal ${state.lsn}`,
    holder: new PostgresSession(holder),
    async worker() {
      const client = await pgConnect(ep)
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY')
      try {
        await client.query(`SET TRANSACTION SNAPSHOT '${String(state.id).replace(/'/g, "''")}'`)
      } catch (error) {
        await client.end().catch(() => {})
        throw snapshotLost(error, state.id)
      }
      const session = new PostgresSession(client)
      workers.push(session)
      return session
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()))
      await holder.query('ROLLBACK').catch(() => {})
      await holder.end().catch(() => {})
    },
  }
}

/**
 * An exported snapshot lives as long as the transaction of its holder: when the holder's
 * connection is gone (a proxy cut it, the backend was terminated), no new worker can join, and
 * only a new snapshot can continue. That is what --resume takes.
 */
function snapshotLost(error: unknown, id: string): unknown {
  return (error as { code?: string }).code === '22023' ? snapshotLostError(id, error) : error
}

/** DD_SNAPSHOT_LOST: resumable, never retried in place (a new connection cannot bring it back). */
export function snapshotLostError(id: string, cause?: unknown): DrydockError {
  return new DrydockError('DD_SNAPSHOT_LOST', `the snapshot ${id} is gone: the connection that held it was lost, so no worker can join it again`, {
    hint: 'check the server and the network on the way (a proxy that drops idle connections: set idleLimitSeconds / --idle-limit below its timeout), then rerun with --resume: it takes a new snapshot and keeps the finished tables',
  }, cause === undefined ? undefined : { cause })
}
