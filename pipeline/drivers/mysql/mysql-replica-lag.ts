import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { ReplicaLag } from '../driver.ts'
import { errno, type MysqlConn, type MysqlLink, type Row } from './mysql-connect.ts'

const PARSE_ERROR = 1064
const SPECIFIC_ACCESS_DENIED = 1227

/**
 * Replication lag of each replica in `replicas`, read on the replica itself (`SHOW ALL SLAVES
 * STATUS` on MariaDB, one entry per replication connection; `SHOW REPLICA STATUS` on MySQL 8).
 * A stopped SQL or I/O thread, or a NULL Seconds_Behind_Master/Source, is an unknown lag
 * (seconds null) with the thread states and last error in `note`. A primary cannot tell how
 * far its replicas are behind, so with none listed, binlog readers connected to the primary
 * are an error (they would go unwatched), and no reader means nothing to watch.
 */
export async function mysqlReplicaLag(link: MysqlLink, primary: Endpoint, replicas: readonly Endpoint[]): Promise<ReplicaLag[]> {
  if (replicas.length === 0) {
    await refuseUnlisted(link, primary)
    return []
  }
  return (await Promise.all(replicas.map((replica) => replicaStatus(link, replica)))).flat()
}

async function replicaStatus(link: MysqlLink, replica: Endpoint): Promise<ReplicaLag[]> {
  const name = describeEndpoint(replica)
  const conn = await link.connectServer(replica)
  try {
    const rows = await statusRows(conn, name)
    if (rows.length === 0) {
      throw new DrydockError('DD_THROTTLE_NOT_A_REPLICA', `${name} is not a replica (${conn.flavor.mariadb ? 'SHOW ALL SLAVES STATUS' : 'SHOW REPLICA STATUS'} is empty)`, {
        hint: 'list only replicas of the server drydock loads into in throttle.replicas',
      })
    }
    return rows.map((row) => channelLag(row, row.Connection_name ? `${name} (connection "${row.Connection_name}")` : name))
  } finally {
    await conn.close()
  }
}

function pick(row: Row, ...names: string[]): { name: string; value: string | null } {
  const name = names.find((n) => n in row) ?? names[0]!
  return { name, value: row[name] ?? null }
}

function channelLag(row: Row, replica: string): ReplicaLag {
  const sqlThread = pick(row, 'Slave_SQL_Running', 'Replica_SQL_Running')
  const ioThread = pick(row, 'Slave_IO_Running', 'Replica_IO_Running')
  const behind = pick(row, 'Seconds_Behind_Master', 'Seconds_Behind_Source')
  const lastError = (key: string) => (row[key] ? `: ${row[key]}` : '')
  if (sqlThread.value !== 'Yes') {
    return { replica, seconds: null, note: `SQL thread stopped (${sqlThread.name}: ${sqlThread.value})${lastError('Last_SQL_Error')}` }
  }
  if (ioThread.value !== 'Yes') {
    return { replica, seconds: null, note: `I/O thread not running (${ioThread.name}: ${ioThread.value})${lastError('Last_IO_Error')}` }
  }
  if (behind.value === null) return { replica, seconds: null, note: `${behind.name} is NULL` }
  return { replica, seconds: Number(behind.value) }
}

async function statusRows(conn: MysqlConn, name: string): Promise<Row[]> {
  try {
    if (conn.flavor.mariadb) return await conn.query('SHOW ALL SLAVES STATUS')
    // MySQL before 8.0.22 knows only the old name.
    return await conn.query('SHOW REPLICA STATUS').catch((error: unknown) => {
      if (errno(error) === PARSE_ERROR) return conn.query('SHOW SLAVE STATUS')
      throw error
    })
  } catch (error) {
    if (errno(error) !== SPECIFIC_ACCESS_DENIED) throw error
    const grant = conn.flavor.mariadb ? 'SLAVE MONITOR' : 'REPLICATION CLIENT'
    throw new DrydockError('DD_THROTTLE_PRIVILEGE', `user "${conn.endpoint.user}" may not read the replication status of ${name}`, {
      hint: `GRANT ${grant} ON *.* TO the user of that URL`,
    }, { cause: error })
  }
}

/** Binlog readers (replicas, CDC) of the primary, as far as the user may see other sessions. */
async function refuseUnlisted(link: MysqlLink, primary: Endpoint): Promise<void> {
  const conn = await link.connectServer(primary)
  try {
    const readers = await conn.query("SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'").catch(() => [])
    if (readers.length === 0) return
    throw new DrydockError('DD_THROTTLE_REPLICAS_UNLISTED', `${readers.length} replica(s) read the binary log of ${describeEndpoint(primary)} (from ${readers.map((r) => r.host).join(', ')}), but throttle.replicas lists none; MySQL replica lag can only be read on each replica`, {
      hint: `add their URLs to throttle.replicas (e.g. mysql://user@replica-host:3306/${primary.database})`,
    })
  } finally {
    await conn.close()
  }
}
