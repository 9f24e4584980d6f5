import { existsSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { type Endpoint, parseEndpoint } from './endpoint.ts'
import { type Compression, COMPRESSIONS } from '../transfer/file-codec.ts'
import { DrydockError } from '../errors.ts'
import { HOOK_POINTS, type Hooks } from '../migration/hooks/hook-points.ts'
import { importUserModule } from '../migration/loader/import-user-module.ts'
import { type Expectation, type ExpectationSpec, parseExpectations } from '../safety/expectations/expectations.ts'
import { loadTransform, TRANSFORM_EXTENSIONS } from '../migration/transform/load-transform.ts'
import { DEFAULT_IDLE_LIMIT_SECONDS } from '../safety/faults/keep-alive.ts'
import { parseThrottle, type ThrottleConfig, type ThrottleSettings } from '../safety/throttle/throttle-config.ts'
import { parseReplicas, type ReplicaConfig, type ReplicaSetting } from '../replication/replicas-config.ts'

/** A migration step that runs SQL files on staging, each file in its own transaction. */
export interface SqlStep {
  /** @defaultValue the file or glob */
  name?: string
  /** A file or a glob (`migrations/*.sql`), relative to the config file; files run in name order. */
  sql: string
}

/** A migration step that runs a shell command with the staging connection in its environment. */
export interface CommandStep {
  /** @defaultValue the command */
  name?: string
  /** Run with `sh -c`, e.g. `python3 manage.py migrate`. */
  command: string
  /** @defaultValue the config file's folder */
  cwd?: string
  /**
   * Extra variables. Values may name parts of the staging connection:
   * `{host}`, `{port}`, `{user}`, `{password}`, `{database}`, `{url}`.
   * @example { DATABASE_HOST: '{host}', PW_DB_URL: '{url}' }
   */
  env?: Record<string, string>
}

/**
 * A migration step that runs a row transform (transforms/*.ts, `export default defineTransform({...})`)
 * on staging: rows stream out of its source table(s), through the function, into its target(s).
 */
export interface TransformStep {
  /** @defaultValue the transform's name */
  name?: string
  /** The transform file (.ts, .mts, .mjs or .js), relative to the config file. */
  transform: string
}

export type MigrationStep = SqlStep | CommandStep | TransformStep

/** What a user writes in `upgrade.config.mjs` / `.ts`. This type is not trusted: see parseConfig. */
export interface UpgradeConfig {
  /** Production database URL. The password may instead come from PGPASSWORD, ~/.pgpass or MYSQL_PWD. */
  source: string
  /**
   * A database URL for staging (drydock creates that database; it must not exist or be empty),
   * or `'ephemeral'`: a throwaway server drydock starts in the run directory.
   * @defaultValue 'ephemeral'
   */
  staging?: string
  /**
   * Where the migrated data goes. Default: beside the source in a shadow database, then swapped in.
   * A URL on another server makes that database the new primary (nothing is swapped).
   * @defaultValue the source
   */
  target?: string
  /**
   * Where `--rehearse` loads the migrated copy back (hop 2 verifies it there, then it is
   * dropped): `'staging'`, a second database on the staging server; `'production'`, the shadow
   * database on the production server (or the target) as a real run would, at production's
   * cost; or a database URL on a server of your choice (drydock creates that database: it must
   * not exist or be empty). Production is written only with `'production'`.
   * @defaultValue 'staging'
   */
  rehearsalTarget?: string
  /** PostgreSQL schemas to take. @defaultValue every non-system schema */
  schemas?: string[]
  /**
   * Tables whose rows are carried (`schema.table`, `*` matches any run of characters).
   * Tables left out travel as empty tables: use it for sessions and caches you can lose.
   * @defaultValue every table
   */
  tables?: { include?: string[]; exclude?: string[] }
  /** Where runs keep dump files, logs, manifest and reports. @defaultValue './drydock-runs' */
  runDir?: string
  /** Ordered migration steps run on staging. @defaultValue [] */
  migrate?: MigrationStep[]
  /** Parallel workers. @defaultValue the number of CPU cores */
  jobs?: number
  /**
   * Tables bigger than this many MiB (catalog size, indexes included) are split into parts that
   * move side by side, each with its own file, count and hash. @defaultValue 128 (PostgreSQL with 2 jobs or fewer: whole tables; checksums split at 128)
   */
  partMB?: number
  /**
   * Stream rows straight from one database into the next while writing the files (the files
   * stay the backup and the resume point). false: write every file, then load the files.
   * @defaultValue true
   */
  direct?: boolean
  /**
   * PostgreSQL: a populated materialized view travels as a REFRESH on staging and on the copy
   * (its rows cannot be written). drydock refuses a view whose contents differ from what its
   * query returns now (stale): true accepts that such views come back refreshed.
   * @defaultValue false
   */
  refreshMaterializedViews?: boolean
  /**
   * Tables the migration left unchanged stay live instead of being copied back (MySQL: single
   * tables renamed; PostgreSQL: the schema swap, when the migration allows it). false: every table
   * is copied, and PostgreSQL swaps the whole database. @defaultValue true
   */
  keepLive?: boolean
  /** Compress dump files with gzip (level 1): less disk, more CPU. @defaultValue 'none' */
  compress?: 'none' | 'gzip'
  /**
   * Shell commands run at named points of the run, in the config's folder; a failing hook stops
   * the run there. @example { beforeSnapshot: 'systemctl stop patchwork', afterSwap: 'systemctl start patchwork' }
   */
  hooks?: Hooks
  /**
   * What must hold on staging after the migration, checked before anything is loaded back
   * (see "Expectations" in the README). @example [{ rows: 'patchwork_patch', equals: 'before:patchwork_patch' }]
   */
  expect?: ExpectationSpec[]
  /**
   * Limits for the load into production: a byte rate, and a pause while replicas lag (see
   * "Throttle" in the README). @example { maxRate: '50MB/s', maxReplicaLag: 30 }
   * @defaultValue no limit
   */
  throttle?: ThrottleConfig
  /**
   * The replicas of production, loaded directly (no row events in the binary log) or through
   * replication (see "Replicas" in the README). @example [{ url: 'mysql://drydock@replica-1/app' }]
   * @defaultValue [] (the load is replicated as before)
   */
  replicas?: (ReplicaConfig | string)[]
  /**
   * The longest any connection to a server may stay silent: below the idle timeout of every
   * proxy or balancer on the way (HAProxy `timeout client/server`, pgbouncer). Held connections
   * send `SELECT 1` after half of it; checksum parts and the plan's longest silent statement are
   * sized against it (see "Idle proxies" in the README). @defaultValue 60
   */
  idleLimitSeconds?: number
}

export interface ParsedStep {
  readonly index: number
  readonly name: string
  readonly kind: 'sql' | 'command' | 'transform'
  /** sql: the glob (absolute); command: the command line; transform: the file (absolute). */
  readonly spec: string
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
}

export interface ParsedConfig {
  readonly file: string
  readonly source: Endpoint
  readonly staging: Endpoint | 'ephemeral'
  readonly target: Endpoint | 'in-place'
  /** Config `rehearsalTarget`: where a rehearsal's copy is loaded. */
  readonly rehearsalTarget: Endpoint | 'staging' | 'production'
  readonly schemas: readonly string[] | undefined
  readonly include: readonly string[]
  readonly exclude: readonly string[]
  readonly runDir: string
  readonly steps: readonly ParsedStep[]
  readonly jobs: number | undefined
  readonly partMB: number | undefined
  readonly direct: boolean
  /** Config `refreshMaterializedViews`. */
  readonly refreshMaterializedViews: boolean
  /** Config `keepLive`. */
  readonly keepLive: boolean
  readonly compress: Compression
  readonly hooks: Readonly<Hooks>
  /** Config `expect`, checked on staging after the migration. */
  readonly expectations: readonly Expectation[]
  /** Config `throttle`, with `--max-rate` / `--max-replica-lag` applied by the CLI (pipeline/safety/throttle). */
  readonly throttle?: ThrottleSettings
  /** Config `replicas` (pipeline/replication). */
  readonly replicas: readonly ReplicaSetting[]
  /** Config `idleLimitSeconds` (or `--idle-limit`). */
  readonly idleLimitSeconds: number
  /** The config file's folder: relative paths and hooks start here. */
  readonly baseDir: string
}

/** Typing helper for config files: `export default defineUpgrade({ ... })`. */
export function defineUpgrade(config: UpgradeConfig): UpgradeConfig {
  return config
}

export const CONFIG_KEYS = ['source', 'staging', 'target', 'rehearsalTarget', 'schemas', 'tables', 'runDir', 'migrate', 'jobs', 'partMB', 'direct', 'keepLive', 'refreshMaterializedViews', 'compress', 'hooks', 'expect', 'throttle', 'replicas', 'idleLimitSeconds'] as const
const STEP_KEYS = { sql: ['name', 'sql'], command: ['name', 'command', 'cwd', 'env'], transform: ['name', 'transform'] }

/** Validates an untrusted config; every problem is reported at once, one line each. */
export function parseConfig(raw: unknown, file: string): ParsedConfig {
  const problems: string[] = []
  const baseDir = dirname(file)
  const check = <T>(key: string, fn: () => T): T | undefined => {
    try {
      return fn()
    } catch (error) {
      problems.push(error instanceof DrydockError ? error.message : `Invalid option ${key}: ${String(error)}`)
      return undefined
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configError([`the config file must export an object (export default defineUpgrade({...})), got ${typeof raw}`], file)
  }
  const input = raw as Record<string, unknown>
  for (const key of Object.keys(input)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) problems.push(`Unknown option ${key}: expected one of ${CONFIG_KEYS.join(', ')}`)
  }
  const source = check('source', () => parseEndpoint(requireString(input.source, 'source'), 'source'))
  const staging = check('staging', () => {
    if (input.staging === undefined || input.staging === 'ephemeral') return 'ephemeral' as const
    return parseEndpoint(requireString(input.staging, 'staging', 'a database URL or "ephemeral"'), 'staging')
  })
  const target = check('target', () => {
    if (input.target === undefined) return 'in-place' as const
    return parseEndpoint(requireString(input.target, 'target'), 'target')
  })
  const rehearsalTarget = check('rehearsalTarget', () => {
    if (input.rehearsalTarget === undefined || input.rehearsalTarget === 'staging' || input.rehearsalTarget === 'production') return input.rehearsalTarget ?? 'staging'
    return parseEndpoint(requireString(input.rehearsalTarget, 'rehearsalTarget', 'a database URL, "staging" or "production"'), 'rehearsalTarget')
  }) as ParsedConfig['rehearsalTarget'] | undefined
  if (source && rehearsalTarget && typeof rehearsalTarget === 'object') {
    if (rehearsalTarget.engine !== source.engine) problems.push(`Invalid option rehearsalTarget: must be the same engine as source (${source.engine}), got ${rehearsalTarget.engine}`)
    else if (sameDatabase(source, rehearsalTarget)) problems.push('Invalid option rehearsalTarget: rehearsalTarget is the source database itself; name another database, or "staging"')
  }
  if (source && staging && staging !== 'ephemeral' && staging.engine !== source.engine) {
    problems.push(`Invalid option staging: must be the same engine as source (${source.engine}), got ${staging.engine}`)
  }
  if (source && staging && staging !== 'ephemeral' && sameDatabase(source, staging)) {
    problems.push('Invalid option staging: staging is the source database itself; name another database or use "ephemeral"')
  }
  if (source && target && target !== 'in-place' && sameDatabase(source, target)) {
    problems.push('Invalid option target: target is the source database itself; leave target out to upgrade in place (a shadow database, then the swap), or name another database')
  }
  if (source && target && target !== 'in-place' && target.engine !== source.engine) {
    problems.push(`Invalid option target: must be the same engine as source (${source.engine}), got ${target.engine}`)
  }
  const schemas = check('schemas', () => optionalStrings(input.schemas, 'schemas'))
  const tables = check('tables', () => parseTables(input.tables))
  const runDir = check('runDir', () =>
    resolve(baseDir, input.runDir === undefined ? 'drydock-runs' : requireString(input.runDir, 'runDir', 'a folder path')))
  const jobs = check('jobs', () => {
    if (input.jobs === undefined) return undefined
    if (!Number.isInteger(input.jobs) || (input.jobs as number) < 1 || (input.jobs as number) > 64) {
      throw new DrydockError('DD_CONFIG_INVALID', `Invalid option jobs: expected a whole number from 1 to 64, got ${JSON.stringify(input.jobs)}`)
    }
    return input.jobs as number
  })
  const partMB = check('partMB', () => {
    if (input.partMB === undefined) return undefined
    if (typeof input.partMB !== 'number' || !(input.partMB > 0) || input.partMB > 1_048_576) {
      throw new DrydockError('DD_CONFIG_INVALID', `Invalid option partMB: expected a positive number of MiB, got ${JSON.stringify(input.partMB)}`)
    }
    return input.partMB
  })
  const direct = check('direct', () => {
    if (input.direct === undefined) return true
    if (typeof input.direct !== 'boolean') throw new DrydockError('DD_CONFIG_INVALID', `Invalid option direct: expected true or false, got ${JSON.stringify(input.direct)}`)
    return input.direct
  })
  const refreshMaterializedViews = check('refreshMaterializedViews', () => {
    if (input.refreshMaterializedViews === undefined) return false
    if (typeof input.refreshMaterializedViews !== 'boolean') {
      throw new DrydockError('DD_CONFIG_INVALID', `Invalid option refreshMaterializedViews: expected true or false, got ${JSON.stringify(input.refreshMaterializedViews)}`)
    }
    return input.refreshMaterializedViews
  })
  const keepLive = check('keepLive', () => {
    if (input.keepLive === undefined) return true
    if (typeof input.keepLive !== 'boolean') throw new DrydockError('DD_CONFIG_INVALID', `Invalid option keepLive: expected true or false, got ${JSON.stringify(input.keepLive)}`)
    return input.keepLive
  })
  const compress = check('compress', () => {
    if (input.compress === undefined) return 'none' as const
    if (!(COMPRESSIONS as readonly unknown[]).includes(input.compress)) {
      throw new DrydockError('DD_CONFIG_INVALID', `Invalid option compress: expected ${COMPRESSIONS.map((c) => `"${c}"`).join(' or ')}, got ${JSON.stringify(input.compress)}`)
    }
    return input.compress as Compression
  })
  const idleLimitSeconds = check('idleLimitSeconds', () => parseIdleLimit(input.idleLimitSeconds, 'option idleLimitSeconds'))
  const steps = check('migrate', () => parseSteps(input.migrate, baseDir, problems))
  const hooks = check('hooks', () => parseHooks(input.hooks))
  const expectations = parseExpectations(input.expect, problems)
  const throttle = parseThrottle(input.throttle, source?.engine, problems)
  const replicas = parseReplicas(input.replicas, source?.engine, problems)
  if (problems.length > 0) throw configError(problems, file)
  return Object.freeze({
    file,
    source: source!,
    staging: staging!,
    target: target!,
    rehearsalTarget: rehearsalTarget!,
    schemas,
    include: tables!.include,
    exclude: tables!.exclude,
    runDir: runDir!,
    steps: steps!,
    jobs,
    partMB,
    direct: direct!,
    refreshMaterializedViews: refreshMaterializedViews!,
    keepLive: keepLive!,
    compress: compress!,
    hooks: Object.freeze(hooks!),
    expectations: Object.freeze(expectations),
    throttle,
    replicas,
    idleLimitSeconds: idleLimitSeconds!,
    baseDir,
  })
}

/** Seconds from 1 to 3600 (config idleLimitSeconds, --idle-limit). */
export function parseIdleLimit(value: unknown, what: string): number {
  if (value === undefined) return DEFAULT_IDLE_LIMIT_SECONDS
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !(n >= 1 && n <= 3600)) fail(`Invalid ${what}: expected seconds from 1 to 3600, got ${JSON.stringify(value)}`)
  return n
}

function parseHooks(value: unknown): Hooks {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`Invalid option hooks: expected { ${HOOK_POINTS.join(', ')} } with shell commands, got ${JSON.stringify(value)}`)
  }
  for (const [key, command] of Object.entries(value)) {
    if (!(HOOK_POINTS as readonly string[]).includes(key)) fail(`Unknown option hooks.${key}: expected one of ${HOOK_POINTS.join(', ')}`)
    if (typeof command !== 'string' || command.trim() === '') fail(`Invalid option hooks.${key}: expected a shell command, got ${JSON.stringify(command)}`)
  }
  return { ...(value as Hooks) }
}

function sameDatabase(a: Endpoint, b: Endpoint): boolean {
  const local = (h: string) => (h === 'localhost' ? '127.0.0.1' : h)
  return local(a.host) === local(b.host) && a.port === b.port && a.database === b.database
}

function configError(problems: string[], file: string): DrydockError {
  return new DrydockError(
    'DD_CONFIG_INVALID',
    `Errors in config ${file}:\n${problems.map((p) => `- ${p}`).join('\n')}`,
    { stage: 'config', hint: 'fix the config file (see docs/config.md)' },
  )
}

function fail(message: string): never {
  throw new DrydockError('DD_CONFIG_INVALID', message)
}

function requireString(value: unknown, key: string, form = 'a database URL'): string {
  if (value === undefined) fail(`Missing option ${key}: expected ${form}`)
  if (typeof value !== 'string' || value.trim() === '') fail(`Invalid option ${key}: expected ${form}, got ${JSON.stringify(value)}`)
  return value
}

function optionalStrings(value: unknown, key: string): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    fail(`Invalid option ${key}: expected a list of names, got ${JSON.stringify(value)}`)
  }
  return [...value] as string[]
}

function parseTables(value: unknown): { include: string[]; exclude: string[] } {
  if (value === undefined) return { include: [], exclude: [] }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`Invalid option tables: expected { include?: [...], exclude?: [...] }, got ${JSON.stringify(value)}`)
  }
  const unknown = Object.keys(value).filter((k) => k !== 'include' && k !== 'exclude')
  if (unknown.length) fail(`Unknown option tables.${unknown[0]}: expected include or exclude`)
  const t = value as Record<string, unknown>
  return {
    include: optionalStrings(t.include, 'tables.include') ?? [],
    exclude: optionalStrings(t.exclude, 'tables.exclude') ?? [],
  }
}

function parseSteps(value: unknown, baseDir: string, problems: string[]): ParsedStep[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) fail(`Invalid option migrate: expected a list of steps, got ${JSON.stringify(value)}`)
  const steps: ParsedStep[] = []
  value.forEach((step: unknown, index) => {
    const key = `migrate[${index}]`
    if (typeof step !== 'object' || step === null) {
      problems.push(`Invalid option ${key}: expected { sql: "file-or-glob" }, { command: "..." } or { transform: "file.ts" }, got ${JSON.stringify(step)}`)
      return
    }
    const s = step as Record<string, unknown>
    const kind = 'sql' in s ? 'sql' : 'command' in s ? 'command' : 'transform' in s ? 'transform' : undefined
    if (!kind) {
      problems.push(`Invalid option ${key}: expected { sql: "file-or-glob" }, { command: "..." } or { transform: "file.ts" }, got keys ${Object.keys(s).join(', ') || 'none'}`)
      return
    }
    for (const k of Object.keys(s)) {
      if (!STEP_KEYS[kind].includes(k)) problems.push(`Unknown option ${key}.${k}: a ${kind} step takes ${STEP_KEYS[kind].join(', ')}`)
    }
    const spec = s[kind]
    if (typeof spec !== 'string' || spec.trim() === '') {
      problems.push(`Invalid option ${key}.${kind}: expected a non-empty string, got ${JSON.stringify(spec)}`)
      return
    }
    if (s.name !== undefined && typeof s.name !== 'string') problems.push(`Invalid option ${key}.name: expected a string`)
    if (kind === 'transform') {
      const file = resolve(baseDir, spec)
      if (!existsSync(file)) problems.push(`Invalid option ${key}.transform: file ${file} does not exist`)
      else if (!TRANSFORM_EXTENSIONS.some((e) => file.endsWith(e))) problems.push(`Invalid option ${key}.transform: expected a ${TRANSFORM_EXTENSIONS.join(', ')} module, got ${file}`)
      steps.push(Object.freeze({ index: index + 1, name: typeof s.name === 'string' ? s.name : spec, kind, spec: file, cwd: baseDir, env: Object.freeze({}) }))
      return
    }
    const env: Record<string, string> = {}
    if (s.env !== undefined) {
      if (typeof s.env !== 'object' || s.env === null || Object.values(s.env).some((v) => typeof v !== 'string')) {
        problems.push(`Invalid option ${key}.env: expected an object of strings, got ${JSON.stringify(s.env)}`)
      } else Object.assign(env, s.env)
    }
    const cwd = s.cwd === undefined ? baseDir : typeof s.cwd === 'string' ? resolve(baseDir, s.cwd) : undefined
    if (cwd === undefined) problems.push(`Invalid option ${key}.cwd: expected a folder path`)
    else if (!existsSync(cwd)) problems.push(`Invalid option ${key}.cwd: folder ${cwd} does not exist`)
    steps.push(Object.freeze({
      index: index + 1,
      name: typeof s.name === 'string' ? s.name : spec,
      kind,
      spec: kind === 'sql' && !isAbsolute(spec) ? resolve(baseDir, spec) : spec,
      cwd: cwd ?? baseDir,
      env: Object.freeze(env),
    }))
  })
  return steps
}

/** Imports a config file (.mjs, .js or .ts) and validates it. */
export async function loadConfig(path: string): Promise<ParsedConfig> {
  const file = resolve(path)
  if (!existsSync(file)) {
    throw new DrydockError('DD_CONFIG_MISSING', `Config file ${file} not found`, {
      stage: 'config', hint: 'pass --config <file>, or create upgrade.config.mjs (see the README)',
    })
  }
  let module: Record<string, unknown>
  try {
    module = await importUserModule(file)
  } catch (error) {
    throw new DrydockError('DD_CONFIG_INVALID', `Config file ${file} could not be loaded: ${(error as Error).message}`, {
      stage: 'config', hint: 'fix the error in the config file (it must be an ES module: export default defineUpgrade({...}))',
    }, { cause: error })
  }
  const config = parseConfig(module.default ?? module.config, file)
  // Transforms are imported and checked now, so that a broken one stops the run before it starts.
  for (const step of config.steps) if (step.kind === 'transform') await loadTransform(step.spec)
  return config
}
