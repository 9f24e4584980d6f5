/** Helpers for the PostgreSQL schema-swap tests: storage files, normalised schema dumps, digests without drydock's schemas. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { PG_HOST, PG_PORT, PG_USER, sql, tableDigests } from '../helpers/postgres.ts'

const run = promisify(execFile)

/** A table's oid and storage file: both equal means the same table, not a copy. */
export async function storageOf(database: string, table: string): Promise<string> {
  const [row] = await sql(database, 'SELECT c.oid::text || \'/\' || pg_relation_filenode(c.oid)::text AS f FROM pg_class c WHERE c.oid = $1::regclass', [table])
  return row!.f!
}

/** drydock's own schemas in the database (shadow, backup, rejected, twin). */
export async function drydockSchemas(database: string): Promise<string[]> {
  const rows = await sql(database, "SELECT nspname FROM pg_namespace WHERE nspname ~ '_dd_(shadow|backup|rejected|twin)_' ORDER BY 1")
  return rows.map((r) => r.nspname!)
}

/**
 * `pg_dump --schema-only` of the application's schemas (drydock's left out), without comments,
 * SET lines and the per-dump \restrict key: two databases with equal dumps have the same schema.
 */
export async function appSchemaDump(database: string): Promise<string> {
  const args = ['-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, '--schema-only', '--no-password', '--exclude-schema=*_dd_*', database]
  const { stdout } = await run('pg_dump', args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PGAPPNAME: 'drydock-test' } })
  return stdout.split('\n').filter((line) => !line.startsWith('--') && !/^\\(un)?restrict /.test(line) && line.trim() !== '').join('\n')
}

/** Row digests of the application's tables (drydock's schemas left out). */
export async function appDigests(database: string): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await tableDigests(database)).filter(([key]) => !/_dd_/.test(key)))
}

/** Runs SQL in place (the "same migration, in place" side of a comparison) in one transaction. */
export async function migrateInPlace(database: string, text: string): Promise<void> {
  await sql(database, `BEGIN; ${text}; COMMIT`)
}

/** Whether a statement fails (a foreign key holds, …). */
export async function fails(database: string, text: string): Promise<boolean> {
  return sql(database, text).then(() => false, () => true)
}
