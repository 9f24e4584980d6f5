import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { snapshotLostError } from './postgres-snapshot.ts'
import { DrydockError } from '../../errors.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import { readFileSync, writeFileSync } from 'node:fs'
import type pg from 'pg'
import { pauseForTest } from '../../util/test-pause.ts'
import type { SchemaCopyOptions, SchemaSection, TableRef } from '../driver.ts'
import { childEnv, libpqEnv } from './postgres-env.ts'
import { copyPostDataParallel } from './postgres-post-data.ts'
import type { ClientTools } from './postgres-tools.ts'
import { pgConnect, quoteIdent } from './postgres-connect.ts'
import type { ErrorCode } from '../../error-codes.ts'

/** From this many jobs on, post-data is applied with pg_restore -j (postgres-post-data.ts). */
export const PARALLEL_POST_DATA_JOBS = 3

/**
 * pg_dump one section of the schema into the run directory, then apply it with psql in a
 * single transaction. Pre-data goes before the rows, post-data (indexes, constraints,
 * triggers) after them, so that the load never maintains an index row by row.
 */
export async function copySchema(
  tools: ClientTools, from: Endpoint, to: Endpoint, section: SchemaSection, options: SchemaCopyOptions,
): Promise<void> {
  // Post-data is taken whole: with --schema-only pg_dump would leave out REFRESH MATERIALIZED
  // VIEW and the views would arrive unpopulated. Pre-data stays schema-only (no large-object stubs).
  const args = [...(section === 'pre-data' ? ['--schema-only'] : []), `--section=${section}`, '--no-password', '--quote-all-identifiers']
  if (options.snapshot) args.push(`--snapshot=${options.snapshot}`)
  const shadows = Object.entries(to.schemaMap ?? {})
  if (shadows.length > 0) {
    // Into shadow schemas of a live database: staging's schemas take the shadow names while
    // pg_dump reads them, so every name in the dump (views, defaults, keys) is already the shadow's.
    for (const [, shadow] of shadows) args.push(`--schema="${shadow.replace(/"/g, '""')}"`)
    await renameSchemas(from, shadows)
    pauseForTest(`staging-renamed-${section}`)
    try {
      await dumpAndApply(tools, from, to, section, options, args)
      if (section === 'pre-data') await copySchemaPrivileges(from, to, shadows.map(([, shadow]) => shadow))
    } finally {
      await renameSchemas(from, shadows.map(([schema, shadow]) => [shadow, schema]))
    }
    return
  }
  for (const schema of options.schemas ?? []) args.push(`--schema=${schema}`)
  for (const table of options.tables ?? []) args.push(`--table=${patternOf(table.schema)}.${patternOf(table.name)}`)
  await dumpAndApply(tools, from, to, section, options, args)
}

/**
 * Renames schemas (`[from, to]` pairs) in one transaction; a pair whose `from` is gone was renamed
 * already (an attempt killed in between), so running it again repairs what that attempt left.
 */
export async function renameSchemas(ep: Endpoint, pairs: readonly (readonly [string, string])[]): Promise<void> {
  const client = await pgConnect(ep)
  try {
    await client.query('BEGIN')
    for (const [name, to] of pairs) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])
      if (rowCount === 1) await client.query(`ALTER SCHEMA ${quoteIdent(name)} RENAME TO ${quoteIdent(to)}`)
    }
    await client.query('COMMIT')
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * pg_dump writes a schema's privileges relative to its initial ones (pg_init_privs), and staging's
 * `public` carries initdb's: its shadow would come out without them. The shadow schemas get the
 * staging schemas' privilege lists exactly (both named the same while this runs).
 */
async function copySchemaPrivileges(from: Endpoint, to: Endpoint, schemas: readonly string[]): Promise<void> {
  const [source, target] = [await pgConnect(from), await pgConnect(to)]
  const aclOf = (client: pg.Client, schema: string) => client.query(`
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee, a.privilege_type, a.is_grantable
      FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = $1`, [schema])
  try {
    for (const schema of schemas) {
      const name = quoteIdent(schema)
      const { rows: [{ explicit }] } = await source.query('SELECT nspacl IS NOT NULL AS explicit FROM pg_namespace WHERE nspname = $1', [schema])
      if (!explicit) continue
      await target.query('BEGIN')
      for (const { grantee } of (await aclOf(target, schema)).rows) await target.query(`REVOKE ALL ON SCHEMA ${name} FROM ${grantee}`)
      for (const g of (await aclOf(source, schema)).rows) {
        await target.query(`GRANT ${g.privilege_type} ON SCHEMA ${name} TO ${g.grantee}${g.is_grantable ? ' WITH GRANT OPTION' : ''}`)
      }
      await target.query('COMMIT')
    }
  } finally {
    await Promise.all([source.end().catch(() => {}), target.end().catch(() => {})])
  }
}

async function dumpAndApply(
  tools: ClientTools, from: Endpoint, to: Endpoint, section: SchemaSection, options: SchemaCopyOptions, args: string[],
): Promise<void> {
  // Post-data over several connections (indexes side by side, foreign keys after them) from 3
  // jobs on: each CREATE INDEX already uses parallel maintenance workers, and on 2 cores the
  // one-transaction path was as fast (bench/results.md: 6.5–8.2 s against 5.3–10.1 s).
  const jobs = options.jobs ?? 1
  const toLive = section === 'post-data' ? options.liveReferences ?? [] : []
  if (section === 'post-data' && jobs >= PARALLEL_POST_DATA_JOBS && tools.pgRestore && !options.tables && toLive.length === 0) {
    await copyPostDataParallel({ ...tools, pgRestore: tools.pgRestore }, from, to, { ...options, jobs }, args)
    return
  }
  const dump = await execProgram(tools.pgDump, args, {
    env: childEnv(libpqEnv(from)), stdoutFile: options.saveAs, logFile: options.logFile,
  })
  if (dump.code !== 0) {
    if (options.snapshot && /invalid snapshot identifier/.test(dump.tail)) throw snapshotLostError(options.snapshot)
    throw new DrydockError('DD_SCHEMA_DUMP_FAILED', `pg_dump of the ${section} schema of ${describeEndpoint(from)} failed: ${lastLines(dump.tail)}`, {
      stage: 'schema', hint: `see ${options.logFile}`,
    })
  }
  if (toLive.length > 0) referenceLiveTables(options.saveAs, to.schemaMap ?? {}, toLive)
  await applySql(tools, to, options.saveAs, options.logFile, 'DD_SCHEMA_APPLY_FAILED', `applying the ${section} schema`)
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`

/**
 * The copy's foreign keys to a table that stays live reference the live table, not its empty twin
 * in the shadow schema: in pg_dump's post-data (every identifier quoted) `REFERENCES
 * "<shadow>"."<table>"(` becomes `REFERENCES "<schema>"."<table>"(`. The key is then validated
 * against the live rows, and the swap moves the live table under it.
 */
function referenceLiveTables(file: string, map: Readonly<Record<string, string>>, tables: readonly TableRef[]): void {
  let sql = readFileSync(file, 'utf8')
  for (const t of tables) {
    const shadow = map[t.schema]
    if (shadow === undefined) continue
    sql = sql.split(`REFERENCES ${quoted(shadow)}.${quoted(t.name)}(`).join(`REFERENCES ${quoted(t.schema)}.${quoted(t.name)}(`)
  }
  writeFileSync(file, sql)
}

/** Runs a SQL file with psql in one transaction, stopping at the first error. */
export async function applySql(
  tools: ClientTools, to: Endpoint, file: string, logFile: string, code: ErrorCode, what: string,
): Promise<void> {
  const result = await execProgram(tools.psql, ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', file], {
    env: childEnv(libpqEnv(to)), logFile,
  })
  if (result.code !== 0) {
    throw new DrydockError(code, `${what} (${file}) on ${describeEndpoint(to)} failed:\n${lastLines(result.tail)}`, {
      hint: `the transaction was rolled back; full output in ${logFile}`,
    })
  }
}

/** A name as a pg_dump pattern that matches only itself: quoted, with its quotes doubled. */
function patternOf(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
