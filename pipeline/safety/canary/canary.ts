/**
 * The canary: before production data moves, a small table of the values that break dump and
 * load paths (time zones across DST, NaN and ±Infinity, extreme decimals, 4-byte UTF-8, control
 * characters, every byte, odd JSON, enums, arrays, zero dates, BIT, SET, latin1, …) takes the
 * same path as the data will, with the driver's own readTable/writeTable and dump files:
 *
 *   source server  <db>_dd_canary      → file → staging server <db>_dd_canary_stg
 *   staging        <db>_dd_canary_stg  → file → source server  <db>_dd_canary_shd (the shadow path)
 *
 * The three copies are then compared column by column as text (and by checksum). A difference
 * is DD_CANARY_FAILED naming the column and its type. The scratch databases are dropped
 * whatever happens; the live database is only read (its encoding, collation and settings are
 * copied to the scratch databases, as for staging and the shadow).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Driver, Session, TableChecksum, TableRef } from '../../drivers/driver.ts'
import { tableToFile } from '../../transfer/table-to-file.ts'
import { describeEndpoint, type Endpoint, withDatabase } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { fileToTable } from '../../transfer/file-to-table.ts'
import { type CanaryDifference, compareCanary, readCanaryFile, showValue } from './canary-compare.ts'
import { engineFacts } from '../../drivers/engines.ts'
import { derivedName } from '../../stages/loadback/shadow-names.ts'

export interface CanaryArgs {
  readonly driver: Driver
  /** The live database: only its server is written to (scratch databases), itself only read. */
  readonly source: Endpoint
  /** Any database of the staging server (the ephemeral server's endpoint, or the staging URL). */
  readonly staging: Endpoint
  /** Where the canary's files, schema and log go (e.g. `<run>/canary`). */
  readonly workDir: string
  /** Keep the scratch databases (debugging). */
  readonly keep?: boolean
}

export interface CanaryResult {
  readonly columns: number
  readonly rows: number
  readonly ms: number
  /** The scratch databases used (and dropped unless `keep`). */
  readonly databases: { readonly source: string; readonly staging: string; readonly shadow: string }
  readonly checksum: TableChecksum
}

export function canaryNames(database: string): CanaryResult['databases'] {
  return {
    source: derivedName(database, 'dd_canary'),
    staging: derivedName(database, 'dd_canary_stg'),
    shadow: derivedName(database, 'dd_canary_shd'),
  }
}

async function withSession<T>(driver: Driver, ep: Endpoint, work: (s: Session) => Promise<T>): Promise<T> {
  const session = await driver.connect(ep)
  try {
    return await work(session)
  } finally {
    await session.close()
  }
}

async function dropQuietly(driver: Driver, server: Endpoint, name: string): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      await driver.dropDatabase(server, name)
      return undefined
    } catch (error) {
      // A session that just closed may still be leaving the server.
      if (attempt >= 4) return error
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

function failure(differences: readonly CanaryDifference[], hop: string, workDir: string): DrydockError {
  const shown = differences.slice(0, 8).map((d) => `  column ${d.column} (${d.type}), row id ${d.row}: ${showValue(d.before)} became ${showValue(d.after)}`)
  const more = differences.length > shown.length ? [`  … and ${differences.length - shown.length} more`] : []
  return new DrydockError('DD_CANARY_FAILED', `the canary table changed on the way ${hop}: ${differences.length} value(s) differ:\n${[...shown, ...more].join('\n')}`, {
    stage: 'staging',
    table: 'canary',
    hint: `drydock would not carry such values exactly between these servers, so nothing was moved and production is untouched; keep ${workDir} (the canary's files and log) and report it`,
  })
}

/**
 * Runs the canary (see the top of this file). Throws DD_CANARY_FAILED on a difference; any
 * other failure (privileges, a server that refuses the values) propagates as it is. Scratch
 * databases are dropped afterwards whatever happens.
 */
export async function runCanary(args: CanaryArgs): Promise<CanaryResult> {
  const { driver, source, staging, workDir } = args
  const started = Date.now()
  const info = await driver.probe(source)
  const names = canaryNames(source.database)
  const canary = driver.canaryTable(info.major)
  const ext = driver.fileExtension
  const at = {
    source: withDatabase(source, names.source),
    staging: withDatabase(staging, names.staging),
    shadow: withDatabase(source, names.shadow),
  }
  const ref = (ep: Endpoint): TableRef => ({ schema: engineFacts(driver.engine).tablesByDatabase ? ep.database : canary.schema, name: canary.name })
  const log = join(workDir, 'canary.log')
  await mkdir(workDir, { recursive: true, mode: 0o700 })
  const scratch: [Endpoint, string][] = [[source, names.source], [staging, names.staging], [source, names.shadow]]
  // Left by a canary that was killed: they carry drydock's suffix, nobody else's data.
  for (const [server, name] of scratch) await driver.dropDatabase(server, name)
  let failed = false
  try {
    await driver.createDatabase(source, names.source, source)
    const script = join(workDir, `canary-${driver.engine}.sql`)
    await writeFile(script, canary.sql, { mode: 0o600 })
    await driver.runSqlFile(at.source, script, log)

    await driver.createDatabase(staging, names.staging, source)
    await withSession(driver, at.source, (s) => driver.prepareStaging(s, at.staging))
    await driver.copySchema(at.source, at.staging, 'pre-data', { saveAs: join(workDir, 'canary-schema-source.sql'), logFile: log })
    const fromSource = await withSession(driver, at.source, (s) => tableToFile(s, ref(at.source), workDir, `canary-source.${ext}`))
    await withSession(driver, at.staging, (s) => fileToTable(s, ref(at.staging), workDir, fromSource))
    const fromStaging = await withSession(driver, at.staging, (s) => tableToFile(s, ref(at.staging), workDir, `canary-staging.${ext}`))

    await driver.createDatabase(source, names.shadow, source)
    await driver.copySchema(at.staging, at.shadow, 'pre-data', { saveAs: join(workDir, 'canary-schema-staging.sql'), logFile: log })
    await withSession(driver, at.shadow, (s) => fileToTable(s, ref(at.shadow), workDir, fromStaging))
    const fromShadow = await withSession(driver, at.shadow, (s) => tableToFile(s, ref(at.shadow), workDir, `canary-shadow.${ext}`))

    const [a, b, c] = await Promise.all([fromSource, fromStaging, fromShadow].map((f) => readCanaryFile(driver.engine, join(workDir, f.file))))
    if (a!.size === 0) {
      throw new DrydockError('DD_CANARY_FAILED', `the canary table on ${describeEndpoint(at.source)} came out empty`, {
        stage: 'staging', table: 'canary', hint: `see ${log}`,
      })
    }
    const hop1 = compareCanary(canary.columns, a!, b!)
    if (hop1.length > 0) throw failure(hop1, `from ${describeEndpoint(at.source)} to staging ${describeEndpoint(at.staging)}`, workDir)
    const hop2 = compareCanary(canary.columns, b!, c!)
    if (hop2.length > 0) throw failure(hop2, `from staging ${describeEndpoint(at.staging)} back to ${describeEndpoint(at.shadow)}`, workDir)

    const sums = await Promise.all([at.source, at.staging, at.shadow].map((ep) => withSession(driver, ep, (s) => s.checksum(ref(ep)))))
    if (!sums.every((s) => s.rows === sums[0]!.rows && s.digest === sums[0]!.digest)) {
      throw new DrydockError('DD_CANARY_FAILED', `the canary rows are equal as text but their checksums differ (source ${sums[0]!.digest}, staging ${sums[1]!.digest}, shadow ${sums[2]!.digest})`, {
        stage: 'staging', table: 'canary',
        hint: 'the servers compute checksums differently (versions or settings), so verification could not be trusted: use a staging server of the same version and settings as production',
      })
    }
    return { columns: canary.columns.length, rows: a!.size, ms: Date.now() - started, databases: names, checksum: sums[0]! }
  } catch (error) {
    failed = true
    throw error
  } finally {
    if (!args.keep) {
      const problems = []
      for (const [server, name] of scratch) problems.push(await dropQuietly(driver, server, name))
      const problem = problems.find((p) => p !== undefined)
      // Reported only when the canary itself passed: a failure's own error matters more.
      if (problem && !failed) {
        throw new DrydockError('DD_CANARY_CLEANUP', `the canary passed but a scratch database could not be dropped: ${(problem as Error).message}`, {
          stage: 'staging', hint: `drop ${Object.values(names).join(', ')} by hand if they are still there`,
        }, { cause: problem })
      }
    }
  }
}
