/**
 * Write-fence marks on MySQL/MariaDB (pipeline/safety/fence). There is no exact, cheap, persistent
 * per-table write counter, so several marks are combined and whatever they cannot prove is
 * left to a checksum:
 *
 * - UPDATE_TIME (information_schema.TABLES): InnoDB keeps it in memory, in whole seconds; on
 *   MariaDB it is the start time of the last transaction that changed the table. Lost at a
 *   restart and when the table leaves InnoDB's table cache (possible once more tables are open
 *   than half of table_definition_cache); TRUNCATE leaves it as it was. MyISAM/Aria: the file time,
 *   which a flush moves too: there it is a soft mark (a change is settled by checksum).
 * - InnoDB TABLE_ID (INNODB_SYS_TABLES / INNODB_TABLES, needs PROCESS): TRUNCATE and table
 *   rebuilds assign a new one. Matched by the server's file-name encoding of the name (ASCII names).
 * - AUTO_INCREMENT: every insert into such a table moves it (rolled-back ones too), TRUNCATE resets it.
 * - TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH: persistent statistics, recomputed after many writes
 *   or a TRUNCATE; a change is "uncertain" (it may be a late recalculation), settled by checksum.
 * - performance_schema table_io_waits_summary_by_table.COUNT_WRITE when it is on (MySQL's
 *   default, off on MariaDB): an exact counter of row writes.
 * - Open InnoDB transactions that modified rows (INNODB_TRX): their commit may come after the
 *   fence with an UPDATE_TIME from before it; a reading with such writers is uncertain.
 * The binary log position and GTID set are recorded as information only: the shadow load and
 * every other database move them too.
 */
import type { FenceMarks, FenceReadOptions, TableMarks } from '../../safety/fence/fence-types.ts'
import type { TableRef } from '../driver.ts'
import type { MysqlConn, Row } from './mysql-connect.ts'

const TABLES_SQL = `
SELECT TABLE_NAME AS name, ENGINE AS engine, CAST(AUTO_INCREMENT AS CHAR) AS auto_inc,
       DATE_FORMAT(UPDATE_TIME, '%Y-%m-%d %H:%i:%s') AS update_time,
       CAST(TABLE_ROWS AS CHAR) AS table_rows, CAST(DATA_LENGTH AS CHAR) AS data_length, CAST(INDEX_LENGTH AS CHAR) AS index_length
  FROM information_schema.TABLES
 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`

/** MySQL's file-name encoding of an identifier (ASCII part; undefined when it needs the server's table for letters). */
export function filenameEncoding(name: string): string | undefined {
  let out = ''
  for (const ch of name) {
    const code = ch.codePointAt(0)!
    if (/[A-Za-z0-9_]/.test(ch)) out += ch
    else if (code < 0x80) out += `@${code.toString(16).padStart(4, '0')}`
    else return undefined
  }
  return out
}

async function optional(conn: MysqlConn, sql: string, values?: unknown[]): Promise<Row[] | undefined> {
  try {
    return await conn.query(sql, values)
  } catch {
    return undefined
  }
}

async function binlogPosition(conn: MysqlConn): Promise<string> {
  const parts: string[] = []
  for (const sql of ['SHOW MASTER STATUS', 'SHOW BINARY LOG STATUS']) {
    const rows = await optional(conn, sql)
    if (rows) { parts.push(rows[0] ? `binlog ${rows[0].File}:${rows[0].Position}` : 'binlog off'); break }
  }
  const gtid = conn.flavor.mariadb ? '@@GLOBAL.gtid_binlog_pos' : '@@GLOBAL.gtid_executed'
  const [row] = (await optional(conn, `SELECT ${gtid} AS gtid`)) ?? []
  if (row?.gtid) parts.push(`gtid ${row.gtid.replace(/\s+/g, '')}`)
  return parts.join(', ') || 'binlog position unknown (no privilege to read it)'
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Reading {
  at: string
  second: string
  byName: Map<string, Row>
}

async function readTables(conn: MysqlConn): Promise<Reading> {
  const [clock] = await conn.query("SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f') AS at")
  const rows = await conn.query(TABLES_SQL)
  return { at: clock!.at!, second: clock!.at!.slice(0, 19), byName: new Map(rows.map((r) => [r.name!, r])) }
}

export async function mysqlFenceMarks(conn: MysqlConn, tables: readonly TableRef[], options: FenceReadOptions): Promise<FenceMarks> {
  const notes: string[] = []
  let uncertain: string | undefined
  // UPDATE_TIME has whole seconds: a table written in the fence's own second could be written
  // again in that second unseen. Before the snapshot, wait for a quiet second (bounded).
  let reading = await readTables(conn)
  const deadline = Date.now() + Math.min(options.settleMs ?? 11_000, 3_000)
  const recent = () => tables.filter((t) => (reading.byName.get(t.name)?.update_time ?? '') >= reading.second)
  while (options.phase === 'take' && recent().length > 0 && Date.now() < deadline) {
    await sleep(1000 - Number(reading.at.slice(20, 23)) + 20)
    reading = await readTables(conn)
  }
  if (recent().length > 0) notes.push(`tables written in the second of the reading: ${recent().map((t) => t.name).join(', ')}`)

  const [uptimeRow] = await conn.query("SHOW GLOBAL STATUS LIKE 'Uptime'")
  const [settings] = await conn.query('SELECT @@GLOBAL.table_definition_cache AS tdc, @@GLOBAL.performance_schema AS ps')
  const idTable = conn.flavor.mariadb ? 'information_schema.INNODB_SYS_TABLES' : 'information_schema.INNODB_TABLES'
  const [dbRow] = await conn.query('SELECT DATABASE() AS db')
  const dbPrefix = filenameEncoding(dbRow!.db!)
  const ids = dbPrefix === undefined ? undefined
    : await optional(conn, `SELECT NAME AS name, CAST(TABLE_ID AS CHAR) AS id FROM ${idTable} WHERE NAME LIKE ?`, [`${dbPrefix.replace(/[\\%_]/g, '\\$&')}/%`])
  const idByName = new Map((ids ?? []).map((r) => [r.name!.slice(dbPrefix!.length + 1), r.id!]))
  const innodbTables = (await optional(conn, `SELECT COUNT(*) AS n FROM ${idTable}`))?.[0]?.n
    ?? (await conn.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE ENGINE = 'InnoDB'"))[0]!.n
  const evictionPossible = Number(innodbTables) > Number(settings!.tdc) / 2
  if (ids === undefined) notes.push('InnoDB table ids are not readable (PROCESS privilege): TRUNCATE is seen only through statistics')
  const writes = settings!.ps === '1'
    ? await optional(conn, `SELECT OBJECT_NAME AS name, CAST(COUNT_WRITE AS CHAR) AS n
        FROM performance_schema.table_io_waits_summary_by_table WHERE OBJECT_SCHEMA = DATABASE()`)
    : undefined
  const writeCount = new Map((writes ?? []).map((r) => [r.name!, r.n!]))

  // Transactions that changed rows and have not committed yet. MariaDB stamps UPDATE_TIME at
  // commit with a time from the transaction itself (its start, or when it began to write), and
  // overwrites: one that started before a table's last write and commits after the fence may
  // leave exactly that time, so tables last written at or after the oldest such start are
  // uncertain at the fence. (MySQL stamps the commit time: no such case.) At the check, a
  // writer in the live database may still commit into it (the swap refuses while it is connected).
  const trx = await optional(conn, `
    SELECT t.trx_mysql_thread_id AS thread, CAST(t.trx_rows_modified AS CHAR) AS modified,
           DATE_FORMAT(t.trx_started, '%Y-%m-%d %H:%i:%s') AS started, p.DB AS db
      FROM information_schema.INNODB_TRX t LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
     WHERE t.trx_mysql_thread_id <> CONNECTION_ID()`)
  if (trx === undefined) notes.push('open transactions are not visible (PROCESS privilege)')
  const writers = (trx ?? []).filter((t) => Number(t.modified) > 0)
  const oldestWriter = conn.flavor.mariadb && writers.length > 0 ? writers.map((w) => w.started!).sort()[0] : undefined
  const here = writers.filter((w) => w.db === dbRow!.db)
  if (options.phase === 'check' && here.length > 0) {
    uncertain = `transactions that changed rows are still open in ${dbRow!.db} (threads ${here.map((w) => w.thread).join(', ')}): they may still commit`
  }
  if (writers.length > 0) notes.push(`open transactions with changed rows: ${writers.map((w) => `thread ${w.thread} (${w.db ?? 'no database'}) since ${w.started}`).join(', ')}`)

  const marks: Record<string, TableMarks> = {}
  for (const t of tables) {
    const r = reading.byName.get(t.name)
    const key = `${t.schema}.${t.name}`
    if (!r) { marks[key] = { exists: false, exact: {}, counters: {} }; continue }
    const encoded = filenameEncoding(t.name)
    const tableId = encoded === undefined ? undefined : idByName.get(encoded)
    const count = writeCount.get(t.name)
    const exact: Record<string, string | null> = { auto_increment: r.auto_inc ?? null, engine: r.engine ?? null }
    if (tableId !== undefined) exact.table_id = tableId
    let tableUncertain: string | undefined
    if (options.phase === 'take' && r.update_time && oldestWriter !== undefined && r.update_time >= oldestWriter) {
      tableUncertain = `a transaction open since ${oldestWriter}, before this table's last write (${r.update_time}), changed rows: its commit may leave that time as it is`
    } else if ((r.update_time ?? null) === null && count === undefined && (evictionPossible || r.engine !== 'InnoDB')) {
      tableUncertain = r.engine === 'InnoDB'
        ? `no last-write time known and the table may have left InnoDB's cache (${innodbTables} tables, table_definition_cache ${settings!.tdc})`
        : `engine ${r.engine} keeps no last-write time`
    }
    // A MyISAM or Aria table's file time also moves when the server flushes it (the snapshot's
    // FLUSH TABLES writes Aria's header): a change is a doubt, settled by the table's checksum.
    const fileTime = r.engine !== 'InnoDB'
    marks[key] = {
      exists: true,
      exact,
      counters: count === undefined ? {} : { count_write: count },
      lastWrite: fileTime ? null : r.update_time ?? null,
      soft: {
        table_rows: r.table_rows ?? null, data_length: r.data_length ?? null, index_length: r.index_length ?? null,
        ...(fileTime ? { file_time: r.update_time ?? null } : {}),
      },
      ...(tableUncertain ? { uncertain: tableUncertain } : {}),
    }
  }
  const all = await conn.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1")
  return {
    engine: 'mysql',
    at: reading.at,
    uptimeSeconds: Number(uptimeRow!.Value),
    epoch: '',
    position: await binlogPosition(conn),
    tables: marks,
    allTables: all.map((r) => `${dbRow!.db!}.${r.name!}`),
    ...(uncertain ? { uncertain } : {}),
    notes,
  }
}
