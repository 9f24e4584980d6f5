import { existsSync, statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import { checkRunDir } from './run-dir-check.ts'
import type { ParsedConfig } from '../../config/config.ts'
import type { CheckStatus, Driver, PreflightCheck, PreflightNeeds, ServerInfo } from '../../drivers/driver.ts'
import { describeEndpoint, type Endpoint, withDatabase } from '../../config/endpoint.ts'
import { engineFacts } from '../../drivers/engines.ts'
import { DrydockError } from '../../errors.ts'
import { silentStatementCheck } from '../faults/silent-statements.ts'
import { backupName, shadowName } from '../../stages/loadback/shadow-names.ts'
import { selectCarried } from '../../stages/snapshot/select-tables.ts'
import { formatBytes } from '../../util/files.ts'
import { stepChecks } from './step-checks.ts'
import type { ErrorCode } from '../../error-codes.ts'

export type { CheckStatus, PreflightCheck } from '../../drivers/driver.ts'

export interface PreflightOptions {
  /**
   * Throw the first failing check's DrydockError (what a run wants; its hint says how many
   * more failed). false: return every check, failures included (what --plan prints).
   * @defaultValue true
   */
  throwOnFail?: boolean
  /**
   * A new run about to start with this id: its shadow and backup names must be free, a staging
   * URL or target must be empty, and the disk must hold the estimate. Leave it out when
   * resuming (those belong to the run then) or planning.
   */
  newRun?: { runId: string }
  /** Parallel workers (connection slots). @defaultValue config.jobs or 4 */
  jobs?: number
  /** Free bytes at a path; tests replace it. @defaultValue statfs of the nearest existing folder */
  freeBytes?: (path: string) => number | null
}

export interface PreflightEstimate {
  tables: number
  carriedTables: number
  /** Catalog size of every table (indexes included) and of the carried ones. */
  totalBytes: number
  carriedBytes: number
  /** Bytes the run writes into the run directory (dump and migrated files, ephemeral staging). */
  runDirBytes: number
}

export interface PreflightResult {
  source: ServerInfo
  staging?: ServerInfo
  target?: ServerInfo
  /** Every check that ran, in order. */
  checks: PreflightCheck[]
  estimate?: PreflightEstimate
}

/** Free bytes of the filesystem that holds `path` (or would, once created). */
export function freeBytesAt(path: string): number | null {
  let dir = path
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir)
  try {
    const s = statfsSync(dir)
    return s.bavail * s.bsize
  } catch {
    return null
  }
}

/** The run directory's check: fail below the need, warn within 20 % of it. Pure. */
export function diskCheck(runDir: string, needBytes: number, freeBytes: number | null, parts: string, strict: boolean): PreflightCheck {
  const title = 'free disk in the run directory'
  if (freeBytes === null) return { id: 'disk.run-dir', title, status: 'warn', detail: `cannot measure the free space at ${runDir}`, code: 'DD_PREFLIGHT_DISK', hint: 'make sure it holds the estimate' }
  const detail = `${formatBytes(freeBytes)} free at ${runDir}; the run writes about ${formatBytes(needBytes)} there (${parts})`
  if (freeBytes < needBytes) {
    return { id: 'disk.run-dir', title, status: strict ? 'fail' : 'warn', detail, code: 'DD_PREFLIGHT_DISK', hint: 'free space there, or set runDir in the config to a folder on a larger disk' }
  }
  if (freeBytes < needBytes * 1.2) {
    return { id: 'disk.run-dir', title, status: 'warn', detail: `${detail}: less than 20 % to spare`, code: 'DD_PREFLIGHT_DISK', hint: 'the estimate is rough (catalog sizes): free more space or choose a larger disk' }
  }
  return { id: 'disk.run-dir', title, status: 'ok', detail }
}

function asDrydockError(error: unknown, code: ErrorCode = 'DD_PREFLIGHT_FAILED'): DrydockError {
  if (error instanceof DrydockError) return error
  return new DrydockError(code, error instanceof Error ? error.message : String(error), { stage: 'preflight' }, { cause: error })
}

/** A database every server has, to reach a server whose database does not exist yet. */
function maintenance(driver: Driver, ep: Endpoint): Endpoint {
  return withDatabase(ep, engineFacts(driver.engine).adminDatabase)
}

/**
 * Before anything is written: every database answers, the client tools fit the servers, the
 * account may do what each stage needs, the tables to carry exist, the run directory has room,
 * ephemeral staging can start, (for a new run) the names it creates are free, and every
 * migration step's files, programs and transforms are there.
 * Reads only: nothing is written anywhere.
 */
export async function preflight(config: ParsedConfig, driver: Driver, options: PreflightOptions = {}): Promise<PreflightResult> {
  const throwOnFail = options.throwOnFail ?? true
  const checks: PreflightCheck[] = []
  const errors = new Map<PreflightCheck, DrydockError>()
  const result: PreflightResult = { source: { version: 'unknown', major: 0 }, checks }
  const add = (check: PreflightCheck) => { checks.push(check); return check }
  const fail = (id: string, title: string, error: unknown) => {
    const e = asDrydockError(error)
    errors.set(add({ id, title, status: 'fail', detail: e.message, code: e.code, ...(e.ctx.hint ? { hint: e.ctx.hint } : {}) }), e)
  }
  try {
    checkRunDir(config.runDir, options.newRun !== undefined)
  } catch (error) {
    fail('run-dir', 'run directory', error)
  }
  /** Throws the first failure, when the caller wants that. */
  const settle = (): void => {
    const failures = checks.filter((c) => c.status === 'fail')
    if (!throwOnFail || failures.length === 0) return
    const first = failures[0]!
    const error = errors.get(first) ?? new DrydockError(first.code ?? 'DD_PREFLIGHT_FAILED', first.detail, { stage: 'preflight', ...(first.hint ? { hint: first.hint } : {}) })
    if (failures.length > 1) Object.assign(error.ctx, { hint: `${error.ctx.hint ?? 'fix it'} (${failures.length - 1} more pre-flight problem(s): --plan lists them all)` })
    throw error
  }
  const strict = options.newRun !== undefined
  const jobs = options.jobs ?? config.jobs ?? 4

  // The source: reachable, tools, supported content.
  try {
    result.source = await driver.probe(config.source)
    add({ id: 'source.connect', title: 'production answers', status: 'ok', detail: `${driver.describeServer(result.source)} at ${describeEndpoint(config.source)}` })
  } catch (error) {
    fail('source.connect', 'production answers', error)
    settle()
    return result
  }
  try {
    await driver.checkTools(result.source)
    add({ id: 'source.tools', title: 'client tools fit the server', status: 'ok', detail: `tools for ${driver.engine} ${result.source.major} found` })
  } catch (error) {
    fail('source.tools', 'client tools fit the server', error)
  }
  // Another run on this database: say so first, before its staging or shadow look like clutter.
  try {
    const lock = await driver.lockSource(config.source, options.newRun?.runId ?? 'pre-flight')
    await lock.release()
  } catch (error) {
    fail('source.lock', 'no other run on this database', error)
  }
  if (driver.checkSource) {
    try {
      await driver.checkSource(config.source, { refreshMaterializedViews: config.refreshMaterializedViews })
      add({ id: 'source.content', title: 'nothing drydock cannot carry', status: 'ok', detail: 'no unsupported objects' })
    } catch (error) {
      fail('source.content', 'nothing drydock cannot carry', error)
    }
  }
  settle()

  // Tables: the include patterns match, and the size estimate.
  try {
    const session = await driver.connect(config.source)
    const inventory = await session.inventory(config.schemas).finally(() => session.close())
    const carried = selectCarried(inventory, config.include, config.exclude)
    const totalBytes = inventory.reduce((sum, t) => sum + t.bytes, 0)
    const carriedBytes = [...carried].reduce((sum, t) => sum + t.bytes, 0)
    const ephemeralBytes = config.staging === 'ephemeral' ? totalBytes * 1.5 : 0
    result.estimate = {
      tables: inventory.length, carriedTables: carried.size, totalBytes, carriedBytes, runDirBytes: carriedBytes * 2 + ephemeralBytes,
    }
    add({ id: 'source.tables', title: 'tables to carry', status: 'ok', detail: `${carried.size} of ${inventory.length} table(s) carried, ${formatBytes(carriedBytes)}` })
    add(silentStatementCheck(inventory, config.target === 'in-place' ? 'shadow on production' : 'target', config.idleLimitSeconds))
  } catch (error) {
    if (error instanceof DrydockError && error.code === 'DD_TABLE_NOT_FOUND') Object.assign(error.ctx, { stage: 'preflight' })
    fail('source.tables', 'tables to carry', error)
  }

  // Staging given as a URL: reachable, not older than production, empty for a new run.
  if (config.staging !== 'ephemeral') {
    const staging = config.staging
    try {
      const exists = await driver.databaseExists(staging, staging.database)
      result.staging = await driver.probe(exists ? staging : maintenance(driver, staging)).catch((error) => {
        if (exists) throw error
        return result.source // the server answered databaseExists; its own version is not readable without a database
      })
      add({ id: 'staging.connect', title: 'staging answers', status: 'ok', detail: `${driver.describeServer(result.staging)} at ${describeEndpoint(staging)}${exists ? '' : ' (database to be created)'}` })
      if (result.staging.major < result.source.major) {
        fail('staging.version', 'staging is not older than production', new DrydockError('DD_STAGING_TOO_OLD', `staging ${describeEndpoint(staging)} runs ${result.staging.version}, older than the source (${result.source.version})`, {
          stage: 'preflight', hint: 'use a staging server of the same major version as production, or staging: "ephemeral"',
        }))
      }
      await driver.checkTools(result.staging).catch((error) => fail('staging.tools', 'client tools fit staging', error))
      if (strict && exists && !(await driver.isEmpty(staging))) {
        fail('staging.empty', 'the staging database is new or empty', new DrydockError('DD_STAGING_NOT_EMPTY', `staging database ${describeEndpoint(staging)} already holds tables`, {
          stage: 'preflight', hint: 'name a database that does not exist yet (drydock creates it), drop this one, or use staging: "ephemeral"',
        }))
      }
    } catch (error) {
      fail('staging.connect', 'staging answers', error)
    }
  }

  // A separate target: reachable, not older, empty for a new run.
  if (config.target !== 'in-place') {
    const target = config.target
    try {
      const exists = await driver.databaseExists(target, target.database)
      result.target = await driver.probe(exists ? target : maintenance(driver, target)).catch((error) => {
        if (exists) throw error
        return result.source
      })
      add({ id: 'target.connect', title: 'the target answers', status: 'ok', detail: `${driver.describeServer(result.target)} at ${describeEndpoint(target)}${exists ? '' : ' (database to be created)'}` })
      if (result.target.major < result.source.major) {
        fail('target.version', 'the target is not older than production', new DrydockError('DD_PREFLIGHT_TARGET_VERSION', `target ${describeEndpoint(target)} runs ${result.target.version}, older than the source (${result.source.version})`, {
          stage: 'preflight', hint: 'load into a server of the same major version as production or newer',
        }))
      }
      if (strict && exists && !(await driver.isEmpty(target))) {
        fail('target.empty', 'the target database is new or empty', new DrydockError('DD_TARGET_NOT_EMPTY', `target database ${describeEndpoint(target)} already holds tables`, {
          stage: 'preflight', hint: 'name a database that does not exist yet (drydock creates it) or drop this one',
        }))
      }
    } catch (error) {
      fail('target.connect', 'the target answers', error)
    }
  }

  // The run directory holds the dump, the migrated files and an ephemeral staging server.
  if (result.estimate) {
    const e = result.estimate
    const parts = `dump and migrated files ${formatBytes(e.carriedBytes * 2)}${config.staging === 'ephemeral' ? `, ephemeral staging ${formatBytes(e.runDirBytes - e.carriedBytes * 2)}` : ''}`
    const check = add(diskCheck(config.runDir, e.runDirBytes, (options.freeBytes ?? freeBytesAt)(config.runDir), parts, strict))
    if (check.status === 'fail') {
      errors.set(check, new DrydockError('DD_PREFLIGHT_DISK', `not enough free disk: ${check.detail}`, { stage: 'preflight', hint: check.hint! }))
    }
  }

  // The engine's own: privileges per stage, settings, ephemeral binaries, free names.
  if (driver.preflightChecks) {
    const needs: PreflightNeeds = {
      source: config.source, sourceInfo: result.source, staging: config.staging, target: config.target,
      ...(config.schemas ? { schemas: config.schemas } : {}),
      freeNames: options.newRun && config.target === 'in-place'
        ? [shadowName(config.source.database, options.newRun.runId), backupName(config.source.database, options.newRun.runId)]
        : [],
      jobs,
      ...(config.replicas.length > 0 ? { replicas: config.replicas } : {}),
    }
    try {
      for (const check of await driver.preflightChecks(needs)) {
        add(check)
        if (check.status === 'fail') {
          errors.set(check, new DrydockError(check.code ?? 'DD_PREFLIGHT_FAILED', check.detail, { stage: 'preflight', ...(check.hint ? { hint: check.hint } : {}) }))
        }
      }
    } catch (error) {
      fail('source.privileges', 'what the account may do', error)
    }
  }

  // The migration's own inputs: files, programs, folders, transforms.
  // (settle() raises a failing one as a DrydockError with its code and hint.)
  for (const check of await stepChecks(config.steps)) add(check)
  settle()
  return result
}

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' }

/** The checks as `--plan` prints them: one line each, with what to do under warnings and failures. */
export function preflightText(result: PreflightResult): string {
  return result.checks.map((c) => {
    const head = `${MARK[c.status]} ${c.title}: ${c.detail}`
    return c.status === 'ok' ? head : `${head}\n    → ${c.hint ?? 'see above'}${c.code ? ` [${c.code}]` : ''}`
  }).join('\n')
}

/** The worst status among the checks. */
export function preflightStatus(result: PreflightResult): CheckStatus {
  return result.checks.some((c) => c.status === 'fail') ? 'fail' : result.checks.some((c) => c.status === 'warn') ? 'warn' : 'ok'
}
