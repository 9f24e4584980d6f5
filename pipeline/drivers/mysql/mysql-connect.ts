import mysql from 'mysql2'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { connectionError } from './mysql-errors.ts'
import { keepAlive } from '../../safety/faults/keep-alive.ts'

export type Row = Record<string, string | null>

/**
 * Every value arrives as the server's own text (or null): no number, date or JSON goes
 * through a JS type. Binary columns are selected as HEX() where bytes matter.
 */
const rawText: mysql.TypeCast = (field) => field.string('utf8')

/** A connection with promise helpers; `raw` is the mysql2 connection for streams. */
export class MysqlConn {
  constructor(readonly raw: mysql.Connection, readonly endpoint: Endpoint, readonly flavor: Flavor) {}

  query(sql: string, values?: unknown[]): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.raw.query({ sql, ...(values ? { values } : {}) }, (error, rows) => {
        if (error) reject(error)
        else resolve(Array.isArray(rows) ? (rows as Row[]) : [])
      })
    })
  }

  /** For statements: the server's OK packet (affected rows, warnings). */
  execute(sql: string, options: Partial<mysql.QueryOptions> = {}): Promise<mysql.ResultSetHeader> {
    return new Promise((resolve, reject) => {
      this.raw.query({ sql, ...options }, (error, result) => (error ? reject(error) : resolve(result as mysql.ResultSetHeader)))
    })
  }

  /** Result sets streaming on this connection that have not reached their end. */
  private unfinishedReads = 0

  /**
   * Counts a streamed result set until it ends: closing with one unfinished cuts the
   * connection, since a polite close waits for the server to send the rest of the table
   * (6.6 s for a 3.5 GB table, measured) after the reader has stopped reading.
   */
  trackRead(query: NodeJS.EventEmitter): void {
    this.unfinishedReads++
    let done = false
    // The query's own events: its row stream emits 'end' when destroyed, too.
    const finish = () => { if (!done) { done = true; this.unfinishedReads-- } }
    query.once('end', finish)
    query.once('error', finish)
  }

  async close(): Promise<void> {
    if (this.unfinishedReads === 0) await new Promise<void>((resolve) => this.raw.end(() => resolve()))
    this.raw.destroy()
  }
}

export interface Flavor {
  readonly mariadb: boolean
  readonly version: string
  /** major + minor / 100: 10.11 → 10.11, 10.6 → 10.06, 8.0 → 8, 8.4 → 8.04 (sortable). */
  readonly major: number
}

export function parseFlavor(version: string): Flavor {
  const [, a = '0', b = '0'] = /^(\d+)\.(\d+)/.exec(version) ?? []
  return { mariadb: /mariadb/i.test(version), version, major: Number(a) + Number(b) / 100 }
}

/**
 * Modes that only change how drydock's own statements are parsed or how SHOW CREATE prints
 * (quoting, backslashes, omitted table options) are left out; modes that decide which values
 * are accepted (strict, zero dates, …) are kept as the source has them.
 */
const SYNTAX_MODES = new Set(['ANSI', 'ANSI_QUOTES', 'NO_BACKSLASH_ESCAPES', 'ORACLE', 'MSSQL', 'DB2', 'POSTGRESQL', 'MAXDB',
  'NO_KEY_OPTIONS', 'NO_TABLE_OPTIONS', 'NO_FIELD_OPTIONS', 'SIMULTANEOUS_ASSIGNMENT'])

function serverKey(ep: Endpoint): string {
  const host = ep.host === 'localhost' || ep.host === '::1' ? '127.0.0.1' : ep.host
  return `${host}:${ep.port}`
}

/**
 * How one driver, so one run, connects: every session gets the sql_mode pinned from the source
 * at the snapshot; sessions on a standalone staging server skip the binary log where they may;
 * sessions on the shadow of a direct replica load must skip it (mysql-binlog.ts). Kept per run,
 * so two runs in one process never share a mode or a database left out of the binary log.
 */
export class MysqlLink {
  private pinnedSqlMode: string | undefined
  private readonly unloggedServers = new Set<string>()
  private readonly unloggedDatabases = new Set<string>()

  pinSqlMode(mode: string): void {
    const modes = mode.split(',').filter((m) => m && !SYNTAX_MODES.has(m))
    // A loaded row with id 0 must keep it, not get the next AUTO_INCREMENT value.
    if (!modes.includes('NO_AUTO_VALUE_ON_ZERO')) modes.push('NO_AUTO_VALUE_ON_ZERO')
    this.pinnedSqlMode = modes.join(',')
  }

  get sqlMode(): string | undefined {
    return this.pinnedSqlMode
  }

  /** Loads into this server need not reach its binary log (standalone staging): best effort. */
  markUnlogged(ep: Endpoint): void {
    this.unloggedServers.add(serverKey(ep))
  }

  isServerUnlogged(ep: Endpoint): boolean {
    return this.unloggedServers.has(serverKey(ep))
  }

  /** Sessions in this database must never reach the binary log: failing to turn it off is an error. */
  markDatabaseUnlogged(ep: Endpoint, database: string): void {
    this.unloggedDatabases.add(`${serverKey(ep)}/${database}`)
  }

  isDatabaseUnlogged(ep: Endpoint, database: string | null): boolean {
    return database !== null && this.unloggedDatabases.has(`${serverKey(ep)}/${database}`)
  }

  connect(ep: Endpoint, database: string | null = ep.database): Promise<MysqlConn> {
    return mysqlConnect(this, ep, database)
  }

  /** A connection without a default database (for CREATE/DROP DATABASE and swaps). */
  connectServer(ep: Endpoint): Promise<MysqlConn> {
    return mysqlConnect(this, ep, null)
  }
}

function sslOption(ep: Endpoint): mysql.ConnectionOptions['ssl'] | undefined {
  const mode = (ep.params['ssl-mode'] ?? ep.params.sslmode ?? (ep.params.ssl === 'true' ? 'REQUIRED' : '')).toUpperCase()
  if (!mode || mode === 'DISABLED' || mode === 'DISABLE' || mode === 'PREFERRED') return undefined
  return { rejectUnauthorized: mode.startsWith('VERIFY') }
}

/**
 * Connects with the settings that make text canonical and transfers exact: UTC session
 * time zone, utf8mb4 both ways, the run's sql_mode, and timeouts long enough for
 * streams that wait on the disk or the other server.
 */
async function mysqlConnect(link: MysqlLink, ep: Endpoint, database: string | null): Promise<MysqlConn> {
  const ssl = sslOption(ep)
  const raw = mysql.createConnection({
    host: ep.host,
    port: ep.port,
    user: ep.user,
    ...(ep.password !== undefined ? { password: ep.password } : {}),
    ...(database ? { database } : {}),
    ...(ssl ? { ssl } : {}),
    charset: 'UTF8MB4_GENERAL_CI',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    decimalNumbers: false,
    typeCast: rawText,
    connectTimeout: 20_000,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    multipleStatements: false,
  })
  // A dropped connection surfaces on the pending query; without a listener it would crash the process.
  raw.on('error', () => {})
  try {
    await new Promise<void>((resolve, reject) => raw.connect((error) => (error ? reject(error) : resolve())))
  } catch (error) {
    raw.destroy()
    throw connectionError(error, ep, database ?? undefined)
  }
  try {
    const [info] = await new MysqlConn(raw, ep, parseFlavor('')).query('SELECT VERSION() AS version, @@SESSION.sql_mode AS mode')
    const conn = new MysqlConn(raw, ep, parseFlavor(info!.version!))
    const settings = [
      "time_zone = '+00:00'",
      'sql_mode = ?',
      'net_read_timeout = 3600',
      'net_write_timeout = 3600',
      'wait_timeout = 86400',
      ...(conn.flavor.mariadb ? ['max_statement_time = 0'] : ['max_execution_time = 0', 'information_schema_stats_expiry = 0']),
    ]
    if (link.sqlMode === undefined) link.pinSqlMode(info!.mode ?? '')
    await conn.query(`SET SESSION ${settings.join(', ')}`, [link.sqlMode])
    if (link.isServerUnlogged(ep)) await conn.query('SET SESSION sql_log_bin = 0').catch(() => {})
    if (link.isDatabaseUnlogged(ep, database)) await conn.query('SET SESSION sql_log_bin = 0')
    keepConnectionAlive(raw)
    return conn
  } catch (error) {
    raw.destroy()
    throw error
  }
}

/** mysql2's own queue: a command is running (`_command`) or waiting (`_commands`). */
type CommandQueue = { _command?: unknown; _commands?: { length: number } }

/** SELECT 1 when idle (pipeline/safety/faults/keep-alive.ts); mysql2 queues it behind any command. */
function keepConnectionAlive(raw: mysql.Connection): void {
  const queue = raw as unknown as CommandQueue
  const query = raw.query.bind(raw) as (...args: unknown[]) => unknown
  const keeper = keepAlive({
    busy: () => Boolean(queue._command) || (queue._commands?.length ?? 0) > 0,
    ping: () => new Promise((resolve, reject) => { query('SELECT 1', (error: unknown) => (error ? reject(error) : resolve(undefined))) }),
    kill: (error) => { (raw as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(error) },
  })
  ;(raw as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    keeper.touch()
    return query(...args)
  }
  raw.once('end', () => keeper.stop())
  raw.once('error', () => keeper.stop())
  const destroy = raw.destroy.bind(raw)
  raw.destroy = () => {
    keeper.stop()
    destroy()
  }
}

export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``
}

export function quoteString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\0/g, '\\0')}'`
}

export function describe(ep: Endpoint, database?: string): string {
  return describeEndpoint(ep, database ?? ep.database)
}

export function errno(error: unknown): number | undefined {
  return (error as { errno?: number }).errno
}
