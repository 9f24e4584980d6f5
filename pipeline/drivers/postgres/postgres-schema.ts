import { describeEndpoint, type Endpoint } from '../../endpoint.ts'
import { snapshotLostError } from './postgres-snapshot.ts'
import { DrydockError } from '../../errors.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import type { SchemaCopyOptions, SchemaSection } from '../driver.ts'
import { childEnv, libpqEnv } from './postgres-env.ts'
import { copyPostDataParallel } from './postgres-post-data.ts'
import type { ClientTools } from './postgres-tools.ts'

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
  for (const schema of options.schemas ?? []) args.push(`--schema=${schema}`)
  for (const table of options.tables ?? []) args.push(`--table=${patternOf(table.schema)}.${patternOf(table.name)}`)
  // Post-data over several connections (indexes side by side, foreign keys after them) from 3
  // jobs on: each CREATE INDEX already uses parallel maintenance workers, and on 2 cores the
  // one-transaction path was as fast (bench/results.md: 6.5–8.2 s against 5.3–10.1 s).
  const jobs = options.jobs ?? 1
  if (section === 'post-data' && jobs >= PARALLEL_POST_DATA_JOBS && tools.pgRestore && !options.tables) {
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
  await applySql(tools, to, options.saveAs, options.logFile, 'DD_SCHEMA_APPLY_FAILED', `applying the ${section} schema`)
}

/** Runs a SQL file with psql in one transaction, stopping at the first error. */
export async function applySql(
  tools: ClientTools, to: Endpoint, file: string, logFile: string, code: string, what: string,
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
