/**
 * The PostgreSQL 15 test server (DD_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres,
 * trust auth): databases named per test file, short-lived connections, and text-exact views of
 * schema and rows.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import pg from 'pg'
import { serverFromEnv } from './server-url.ts'

const SERVER = serverFromEnv('DD_PG_URL', 'postgres://postgres@127.0.0.1:5432/postgres', 5432)
export const PG_HOST = SERVER.host
export const PG_PORT = SERVER.port
export const PG_USER = SERVER.user
/** The database that always exists (where CREATE DATABASE and pg_stat_activity queries run). */
export const PG_ADMIN_DB = SERVER.database ?? 'postgres'

const run = promisify(execFile)

/** Every value comes back as the server's own text output (or null): nothing is parsed in JS. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig

/** `dd_t_<tag>_<random>`: every database of a test file starts with it. */
export function uniquePrefix(tag: string): string {
  return `dd_t_${tag}_${randomBytes(3).toString('hex')}`
}

export function pgUrl(database: string, auth = SERVER.auth): string {
  return `postgres://${auth}@${PG_HOST}:${PG_PORT}/${database}`
}

export interface ConnectOptions {
  host?: string
  port?: number
  user?: string
  password?: string
  /** Session TimeZone (pinned; default UTC). */
  timeZone?: string
}

/** Opens a connection, runs `work`, and always waits for the session to end on the server. */
export async function withClient<T>(database: string, work: (client: pg.Client) => Promise<T>, options: ConnectOptions = {}): Promise<T> {
  const client = new pg.Client({
    host: options.host ?? PG_HOST,
    port: options.port ?? PG_PORT,
    user: options.user ?? PG_USER,
    ...(options.password !== undefined ? { password: options.password } : options.user === undefined && SERVER.password !== undefined ? { password: SERVER.password } : {}),
    database,
    types: RAW_TEXT,
    application_name: 'drydock-test',
  })
  await client.connect()
  try {
    await client.query(`SET TimeZone = '${options.timeZone ?? 'UTC'}'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'`)
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Runs SQL (possibly several statements) and returns the last result's rows as text. */
export async function sql(database: string, text: string, params: unknown[] = []): Promise<Record<string, string | null>[]> {
  return withClient(database, async (c) => {
    const result = await c.query(text, params)
    const last = Array.isArray(result) ? result[result.length - 1] : result
    return (last?.rows ?? []) as Record<string, string | null>[]
  })
}

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}

export async function createDatabase(name: string): Promise<void> {
  await sql(PG_ADMIN_DB, `CREATE DATABASE ${ident(name)} TEMPLATE template0 ENCODING 'UTF8'`)
}

/** Names of the databases that start with `prefix` (literally: `_` is no wildcard here), sorted. */
export async function databasesWithPrefix(prefix: string): Promise<string[]> {
  const rows = await sql(PG_ADMIN_DB, 'SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1 ORDER BY 1', [prefix])
  return rows.map((r) => r.datname!)
}

export async function databaseExists(name: string): Promise<boolean> {
  return (await sql(PG_ADMIN_DB, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1
}

/** afterAll: drops every database of the file (live, staging, shadow, backup, rejected). */
export async function dropDatabasesWithPrefix(prefix: string): Promise<void> {
  if (!/^dd_t_/.test(prefix)) throw new Error(`refusing to drop databases for prefix ${prefix}`)
  for (const name of await databasesWithPrefix(prefix)) {
    await sql(PG_ADMIN_DB, `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`)
  }
}

/** `pg_dump --schema-only` text without comment lines and the per-dump random \restrict key. */
export async function schemaDump(database: string, excludeTables: readonly string[] = []): Promise<string> {
  const args = ['-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, '--schema-only', '--no-password',
    ...excludeTables.map((t) => `--exclude-table=${t}`), database]
  const { stdout } = await run('pg_dump', args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PGAPPNAME: 'drydock-test', ...(SERVER.password !== undefined ? { PGPASSWORD: SERVER.password } : {}) } })
  return stdout.split('\n').filter((line) => !line.startsWith('--') && !/^\\(un)?restrict /.test(line)).join('\n')
}

/** User tables as `schema.table` (quoted-ready pairs), sorted. */
export async function userTables(database: string): Promise<{ schema: string; name: string }[]> {
  const rows = await sql(database, `
    SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
     ORDER BY 1, 2`)
  return rows.map((r) => ({ schema: r.schema!, name: r.name! }))
}

/** Per table: row count and md5 of all rows' text in a fixed order. Session settings are pinned. */
export async function tableDigests(database: string): Promise<Record<string, string>> {
  const tables = await userTables(database)
  return withClient(database, async (c) => {
    const out: Record<string, string> = {}
    for (const t of tables) {
      const q = `${ident(t.schema)}.${ident(t.name)}`
      const { rows } = await c.query(`SELECT count(*) || ':' || md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text COLLATE "C"), '')) AS d FROM ${q} AS r`)
      out[`${t.schema}.${t.name}`] = rows[0].d
    }
    return out
  })
}

/**
 * Every column of a table as the server's text output, ordered by `orderBy`: one array a row,
 * null for SQL NULL. Generated columns are included.
 */
export async function rowsAsText(
  database: string, table: { schema: string; name: string }, orderBy: string, timeZone = 'UTC',
): Promise<(string | null)[][]> {
  return withClient(database, async (c) => {
    const { rows: cols } = await c.query(`
      SELECT attname FROM pg_attribute
       WHERE attrelid = (${literal(`${ident(table.schema)}.${ident(table.name)}`)})::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum`)
    // No casts: the text protocol returns each value as its type's output function writes it
    // (a ::text cast would, for one, trim char(n) padding).
    const list = cols.map((r: { attname: string }) => ident(r.attname)).join(', ')
    const { rows } = await c.query({ text: `SELECT ${list} FROM ${ident(table.schema)}.${ident(table.name)} ORDER BY ${orderBy}`, rowMode: 'array' })
    return rows as (string | null)[][]
  }, { timeZone })
}

/** Everything the tests compare to call production "unchanged". */
export async function databaseState(database: string): Promise<{ schema: string; data: Record<string, string> }> {
  return { schema: await schemaDump(database), data: await tableDigests(database) }
}

/** Sessions drydock left connected to a database (its sessions set application_name). */
export async function drydockSessions(database: string): Promise<number> {
  const rows = await sql(PG_ADMIN_DB, `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'drydock'`, [database])
  return Number(rows[0]?.n)
}
