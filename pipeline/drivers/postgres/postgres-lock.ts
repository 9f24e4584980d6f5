import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { SourceLock } from '../driver.ts'
import { pgConnectMaintenance } from './postgres-connect.ts'

/**
 * A session-level advisory lock keyed by the database name, held on a connection to the
 * maintenance database (never the live one, which the swap needs free). The server drops it
 * when the connection goes, so a killed run never leaves it behind.
 */
export async function lockSource(ep: Endpoint, runId: string): Promise<SourceLock> {
  const client = await pgConnectMaintenance(ep, [ep.database])
  const key = `drydock:${ep.database}`
  try {
    await client.query(`SET application_name = 'drydock run ${runId.replace(/'/g, '')}'`)
    const { rows: [lock] } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key])
    if (lock.ok) return { release: async () => { await client.end().catch(() => {}) } }
    const { rows: [holder] } = await client.query(`
      SELECT a.pid, a.application_name, coalesce(a.client_addr::text, 'local') AS addr, a.backend_start::text AS since
        FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.objid::bigint = (hashtext($1)::bigint & 4294967295) LIMIT 1`, [key])
    const who = holder ? `${holder.application_name || 'a session'} (pid ${holder.pid} from ${holder.addr}, since ${holder.since})` : 'another session'
    throw new DrydockError('DD_SOURCE_LOCKED', `another drydock run is working on database "${ep.database}": ${who}`, {
      stage: 'preflight', hint: 'wait for that run to finish, or stop it (a killed run releases the lock by itself)',
    })
  } catch (error) {
    await client.end().catch(() => {})
    throw error
  }
}
