/**
 * The MariaDB test server (DD_MYSQL_URL, default mysql://root@127.0.0.1:3306/, no password):
 * databases named per test file, short-lived connections, and byte-exact views of schema and rows.
 */
import { createHash, randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { serverFromEnv } from './server-url.ts'

const SERVER = serverFromEnv('DD_MYSQL_URL', 'mysql://root@127.0.0.1:3306/', 3306)
export const MY_HOST = SERVER.host
export const MY_PORT = SERVER.port
export const MY_USER = SERVER.user
export const MY_PASSWORD = SERVER.password

export type Row = Record<string, string | null>

/** `dd_m_<tag>_<random>`: every database of a test file starts with it. */
export function uniquePrefix(tag: string): string {
  return `dd_m_${tag}_${randomBytes(3).toString('hex')}`
}

export function myUrl(database: string, auth = SERVER.auth): string {
  return `mysql://${auth}@${MY_HOST}:${MY_PORT}/${encodeURIComponent(database)}`
}

export function ident(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``
}

/** Opens a connection (UTC, utf8mb4, every value as raw text), runs `work`, always closes it. */
export async function withConn<T>(database: string | null, work: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({
    host: MY_HOST, port: MY_PORT, user: MY_USER, ...(MY_PASSWORD !== undefined ? { password: MY_PASSWORD } : {}), ...(database ? { database } : {}),
    charset: 'UTF8MB4_GENERAL_CI', multipleStatements: true, typeCast: (field) => field.string('utf8'),
  })
  try {
    await conn.query("SET SESSION time_zone = '+00:00'")
    return await work(conn)
  } finally {
    await conn.end()
  }
}

/** Runs SQL (several statements allowed) and returns the last result set's rows. */
export async function sql(database: string | null, text: string, values: unknown[] = []): Promise<Row[]> {
  return withConn(database, async (c) => {
    const [result] = await c.query(text, values)
    if (!Array.isArray(result)) return []
    const sets = (result as unknown[]).filter((r) => Array.isArray(r))
    return (sets.length > 0 ? sets[sets.length - 1] : result) as Row[]
  })
}

export async function createDatabase(name: string): Promise<void> {
  await sql(null, `CREATE DATABASE ${ident(name)} CHARACTER SET utf8mb4`)
}

export async function databasesWithPrefix(prefix: string): Promise<string[]> {
  const rows = await sql(null, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, CHAR_LENGTH(?)) = ? ORDER BY 1', [prefix, prefix])
  return rows.map((r) => r.name!)
}

export async function databaseExists(name: string): Promise<boolean> {
  return (await sql(null, 'SELECT 1 AS x FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])).length === 1
}

/** afterAll: drops every database of the file (live, staging, shadow, backup, rejected). */
export async function dropDatabasesWithPrefix(prefix: string): Promise<void> {
  if (!/^dd_m_/.test(prefix)) throw new Error(`refusing to drop databases for prefix ${prefix}`)
  for (const name of await databasesWithPrefix(prefix)) await sql(null, `DROP DATABASE IF EXISTS ${ident(name)}`)
}

const BINARY = /^(binary|varbinary|tinyblob|blob|mediumblob|longblob|bit|geometry|point)$/

/** A column as exact text: HEX for bytes and bits, the full double for FLOAT, text otherwise. */
function exact(column: { name: string; type: string }): string {
  const c = ident(column.name)
  if (BINARY.test(column.type)) return `HEX(${c})`
  if (column.type === 'float') return `CAST(${c} + 0e0 AS CHAR)`
  return `CAST(${c} AS CHAR)`
}

export async function baseTables(database: string): Promise<string[]> {
  const rows = await sql(database, "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1")
  return rows.map((r) => r.name!)
}

/** Every column of a table (generated ones included) as exact text, rows in `orderBy` order. */
export async function rowsAsText(database: string, table: string, orderBy?: string): Promise<(string | null)[][]> {
  const columns = await sql(database, `SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [table])
  const list = columns.map((c) => exact({ name: c.name!, type: c.type! })).join(', ')
  const rows = await sql(database, `SELECT ${list} FROM ${ident(table)}${orderBy ? ` ORDER BY ${orderBy}` : ''}`)
  const values = rows.map((r) => Object.values(r))
  if (!orderBy) values.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
  return values
}

/** Per table: row count and a hash of all rows as exact text, in a fixed order. */
export async function tableDigests(database: string, exclude: readonly string[] = []): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const table of (await baseTables(database)).filter((t) => !exclude.includes(t))) {
    const rows = await rowsAsText(database, table)
    out[table] = `${rows.length}:${createHash('sha256').update(JSON.stringify(rows)).digest('hex')}`
  }
  return out
}

/** Tables, views, triggers and routines as SHOW CREATE prints them (AUTO_INCREMENT counters left out). */
export async function schemaOf(database: string, exclude: readonly string[] = []): Promise<string> {
  return withConn(database, async (c) => {
    const parts: string[] = []
    const [objects] = await c.query("SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1")
    for (const o of (objects as Row[]).filter((t) => !exclude.includes(t.name!))) {
      const [[row]] = await c.query(`SHOW CREATE ${o.type === 'VIEW' ? 'VIEW' : 'TABLE'} ${ident(o.name!)}`) as unknown as [Row[]]
      parts.push((row!['Create Table'] ?? row!['Create View'])!.replace(/ AUTO_INCREMENT=\d+/, ''))
    }
    const [triggers] = await c.query('SELECT TRIGGER_NAME AS name, ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1')
    for (const t of triggers as Row[]) parts.push(`TRIGGER ${t.name}: ${t.body}`)
    const [routines] = await c.query('SELECT ROUTINE_TYPE AS type, ROUTINE_NAME AS name, ROUTINE_DEFINITION AS body FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1, 2')
    for (const r of routines as Row[]) parts.push(`${r.type} ${r.name}: ${r.body}`)
    return parts.join('\n\n')
  })
}

/** Everything the tests compare to call a database "unchanged" (`exclude`: tables a migration added). */
export async function databaseState(database: string, exclude: readonly string[] = []): Promise<{ schema: string; data: Record<string, string> }> {
  return { schema: await schemaOf(database, exclude), data: await tableDigests(database, exclude) }
}

export async function autoIncrement(database: string, table: string): Promise<string | null> {
  const [row] = await sql(database, 'SELECT CAST(AUTO_INCREMENT AS CHAR) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table])
  return row?.n ?? null
}
