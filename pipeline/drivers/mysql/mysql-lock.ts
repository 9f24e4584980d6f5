import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { SourceLock } from '../driver.ts'
import type { MysqlLink } from './mysql-connect.ts'

/**
 * A named server lock (GET_LOCK) for the database, held on a connection outside any database
 * so the swap's session check does not see it. It goes with the connection.
 */
export async function lockSource(link: MysqlLink, ep: Endpoint, _runId: string): Promise<SourceLock> {
  const conn = await link.connectServer(ep)
  const key = `drydock:${ep.database}`.slice(0, 64)
  try {
    const [lock] = await conn.query('SELECT GET_LOCK(?, 0) AS ok', [key])
    if (String(lock?.ok) === '1') return { release: () => conn.close().catch(() => {}) }
    const [holder] = await conn.query(`
      SELECT p.ID AS id, p.HOST AS host, p.TIME AS seconds FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?)`, [key])
    const who = holder ? `connection ${holder.id} from ${holder.host}, for ${holder.seconds} s` : 'another session'
    throw new DrydockError('DD_SOURCE_LOCKED', `another drydock run is working on database "${ep.database}": ${who}`, {
      stage: 'preflight', hint: 'wait for that run to finish, or stop it (a killed run releases the lock by itself)',
    })
  } catch (error) {
    await conn.close().catch(() => {})
    throw error
  }
}
