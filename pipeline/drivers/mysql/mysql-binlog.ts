/**
 * The binary log around the load back (pipeline/replication): where it stands and how much was
 * written, and what a direct load of replicas needs — the shadow's sessions without the binary
 * log on the primary and on each replica, the replica writable, caught up with the primary.
 */
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { errno, type MysqlConn, type MysqlLink, quoteIdent, type Row } from './mysql-connect.ts'
import { withServer } from './mysql-databases.ts'

const ACCESS_DENIED = 1227
const PARSE_ERROR = 1064
const NO_SUCH_FUNCTION = 1305
const READ_ONLY = 1290

/** SHOW MASTER STATUS, or its MySQL 8.4 name. */
async function masterStatus(conn: MysqlConn): Promise<Row | undefined> {
  const rows = await conn.query('SHOW MASTER STATUS').catch((error: unknown) => {
    if (errno(error) === PARSE_ERROR) return conn.query('SHOW BINARY LOG STATUS')
    throw error
  })
  return rows[0]
}

/** `file:position` of the binary log; null when it is off or the account may not read it. */
export function binlogPosition(link: MysqlLink, server: Endpoint): Promise<string | null> {
  return withServer(link, server, async (conn) => {
    const row = await masterStatus(conn).catch(() => undefined)
    return row?.File ? `${row.File}:${row.Position}` : null
  })
}

function parsePosition(position: string): { file: string; pos: number } {
  const at = position.lastIndexOf(':')
  return { file: position.slice(0, at), pos: Number(position.slice(at + 1)) }
}

/** Bytes of binary log between two positions, over rotated files (SHOW BINARY LOGS); null when a file was purged. */
export function binlogBytes(link: MysqlLink, server: Endpoint, from: string, to: string): Promise<number | null> {
  return withServer(link, server, async (conn) => {
    const a = parsePosition(from)
    const b = parsePosition(to)
    if (a.file === b.file) return b.pos - a.pos
    const logs = (await conn.query('SHOW BINARY LOGS').catch(() => [])).map((r) => ({ name: r.Log_name!, size: Number(r.File_size) }))
    const first = logs.findIndex((l) => l.name === a.file)
    const last = logs.findIndex((l) => l.name === b.file)
    if (first < 0 || last < first) return null
    return logs.slice(first, last).reduce((sum, l) => sum + l.size, 0) - a.pos + b.pos
  })
}

/**
 * From now on every session of this run on `database` of that server (and its CREATE
 * DATABASE) runs with sql_log_bin = 0. Tries it first: DD_BINLOG_PRIVILEGE when the account may not.
 */
export async function skipBinlog(link: MysqlLink, server: Endpoint, database: string): Promise<void> {
  await withServer(link, server, async (conn) => {
    try {
      await conn.query('SET SESSION sql_log_bin = 0')
    } catch (error) {
      if (errno(error) !== ACCESS_DENIED) throw error
      throw binlogPrivilege(conn, server, error)
    }
  })
  link.markDatabaseUnlogged(server, database)
}

function binlogPrivilege(conn: MysqlConn, server: Endpoint, cause: unknown): DrydockError {
  const grant = conn.flavor.mariadb ? 'BINLOG ADMIN' : 'SYSTEM_VARIABLES_ADMIN (or SUPER)'
  return new DrydockError('DD_BINLOG_PRIVILEGE', `user "${server.user}" may not turn off the binary log for its session on ${describeEndpoint(server)} (SET SESSION sql_log_bin = 0)`, {
    stage: 'loadback', hint: `GRANT ${grant} ON *.* TO that user for the upgrade, or set load: 'replicated' for the replicas`,
  }, { cause })
}

/** Sessions reading the binary log (replicas, CDC); null when the account cannot see other sessions. */
export function binlogReaders(link: MysqlLink, primary: Endpoint): Promise<number | null> {
  return withServer(link, primary, async (conn) => {
    const [process] = await conn.query("SELECT COUNT(*) AS n FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = CONCAT(\"'\", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), \"'@'\", SUBSTRING_INDEX(CURRENT_USER(), '@', -1), \"'\") AND PRIVILEGE_TYPE IN ('PROCESS', 'SUPER')")
    if (Number(process?.n ?? 0) === 0) return null
    const [row] = await conn.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
    return Number(row!.n)
  })
}

/**
 * Whether drydock can write `database` on this replica itself, without the binary log; the
 * reason when not (undefined: it can). Drops what an earlier attempt left under that name there.
 */
export async function probeDirectReplica(link: MysqlLink, replica: Endpoint, database: string): Promise<string | undefined> {
  let conn: MysqlConn
  try {
    conn = await link.connectServer(replica)
  } catch (error) {
    return `cannot connect: ${(error as Error).message}`
  }
  try {
    const status = await conn.query(conn.flavor.mariadb ? 'SHOW ALL SLAVES STATUS' : 'SHOW REPLICA STATUS').catch(() => [] as Row[])
    if (status.length === 0) return 'it is not a replica (no replication status), or the account may not read it'
    const stopped = status.find((r) => (r.Slave_SQL_Running ?? r.Replica_SQL_Running) !== 'Yes')
    if (stopped) return `its SQL thread is not running${stopped.Last_SQL_Error ? ` (${stopped.Last_SQL_Error})` : ''}`
    try {
      await conn.query('SET SESSION sql_log_bin = 0')
    } catch (error) {
      if (errno(error) !== ACCESS_DENIED) throw error
      return `user "${replica.user}" may not turn off the binary log for its session (needs ${conn.flavor.mariadb ? 'BINLOG ADMIN' : 'SYSTEM_VARIABLES_ADMIN or SUPER'})`
    }
    try {
      await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`)
    } catch (error) {
      if (errno(error) !== READ_ONLY && errno(error) !== ACCESS_DENIED) throw error
      return `it refuses writes by user "${replica.user}": ${(error as Error).message} (needs ${conn.flavor.mariadb ? 'READ_ONLY ADMIN' : 'CONNECTION_ADMIN or SUPER, and super_read_only off'} and the rights on ${database})`
    }
    return undefined
  } catch (error) {
    return (error as Error).message
  } finally {
    await conn.close()
  }
}

/** Waits until the replica has applied the primary's binary log up to where it stands now. */
export async function waitForReplica(link: MysqlLink, primary: Endpoint, replica: Endpoint, timeoutSeconds: number): Promise<void> {
  const position = await binlogPosition(link, primary)
  if (!position) return
  const { file, pos } = parsePosition(position)
  const result = await withServer(link, replica, async (conn) => {
    const wait = async (fn: string) => (await conn.query(`SELECT ${fn}(?, ?, ?) AS r`, [file, pos, timeoutSeconds]))[0]!.r
    return wait(conn.flavor.mariadb ? 'MASTER_POS_WAIT' : 'SOURCE_POS_WAIT').catch((error: unknown) => {
      if (errno(error) === NO_SUCH_FUNCTION) return wait('MASTER_POS_WAIT')
      throw error
    })
  })
  if (result === null || Number(result) < 0) {
    throw new DrydockError('DD_REPLICA_BEHIND', `replica ${describeEndpoint(replica)} did not reach ${position} of ${describeEndpoint(primary)} within ${timeoutSeconds} s (${result === null ? 'its SQL thread is not running' : 'timed out'})`, {
      stage: 'loadback', hint: 'check SHOW SLAVE STATUS on the replica; fix replication and resume, or set load: \'replicated\' for it',
    })
  }
}
