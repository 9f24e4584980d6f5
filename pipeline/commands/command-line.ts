import { parseArgs } from 'node:util'
import { parseIdleLimit } from '../config/config.ts'
import { parseThrottleFlags } from '../safety/throttle/throttle-config.ts'
import { type Compression, COMPRESSIONS } from '../transfer/file-codec.ts'
import { CLI_OPTIONS } from './cli-help.ts'

export type CliValues = ReturnType<typeof parseArgs<{ options: typeof CLI_OPTIONS }>>['values']

/** The commands of the command line; `run` also covers --rehearse and --prestage (a new run). */
export type CommandName = 'help' | 'version' | 'verify' | 'status' | 'list' | 'rollback' | 'cleanup' | 'sample' | 'plan' | 'resume' | 'run'

/** A command line that passed every check that needs no config and no server. */
export interface CommandLine {
  readonly command: CommandName
  readonly values: CliValues
  readonly jobs?: number
  readonly partBytes?: number
  readonly compress?: Compression
  readonly idleLimit?: number
  readonly throttle: { maxRate?: number | null; maxReplicaLag?: number | null }
  /** `-t` replaces the config's tables.include; `-T` adds to tables.exclude. */
  readonly tables: { include: string[]; exclude: string[] }
}

/** Modes that exclude each other: at most one per command line. */
const MODES = ['rollback', 'cleanup', 'plan', 'rehearse', 'resume', 'status', 'list'] as const

/** The command line, or the usage error to print (exit code 2). */
export function parseCommandLine(argv: readonly string[]): CommandLine | { usage: string } {
  let values: CliValues
  try {
    values = parseArgs({ args: [...argv], options: CLI_OPTIONS, strict: true, allowPositionals: false }).values
  } catch (error) {
    return { usage: `${(error as Error).message}\nRun with --help for usage.` }
  }
  const base = { values, throttle: {}, tables: { include: values.table ?? [], exclude: values['exclude-table'] ?? [] } }
  if (values.help) return { ...base, command: 'help' }
  if (values.version) return { ...base, command: 'version' }
  const problem = combinationError(values)
  if (problem) return { usage: problem }
  const numbers = numericFlags(values)
  if ('usage' in numbers) return numbers
  const throttle = parseThrottleFlags({ maxRate: values['max-rate'], maxReplicaLag: values['max-replica-lag'] })
  if ('error' in throttle) return { usage: throttle.error }
  return { ...base, ...numbers, throttle, command: commandOf(values) }
}

function commandOf(values: CliValues): CommandName {
  if (values.verify) return 'verify'
  if (values.status) return 'status'
  if (values.list) return 'list'
  if (values.rollback) return 'rollback'
  if (values.cleanup) return 'cleanup'
  if (values.sample !== undefined || values.transform !== undefined) return 'sample'
  if (values.plan) return 'plan'
  if (values.resume) return 'resume'
  return 'run'
}

function combinationError(values: CliValues): string | undefined {
  const verifyError = verifyOptionsError(values)
  if (verifyError) return `${verifyError}\nRun with --help for usage.`
  if (values.from !== undefined && (values.from !== 'migrate' || !values.resume)) {
    return `Invalid option --from: only "--from migrate" with --resume RUN_DIR is supported, got "${values.from}"`
  }
  const modes = MODES.filter((m) => values[m])
  if (modes.length > 1) return `options --${modes[0]} and --${modes[1]} are not compatible`
  // A prestaged rehearsal is allowed: it rehearses the refresh as well.
  const notWithPrestage = modes.find((m) => m !== 'rehearse')
  if (values.prestage && notWithPrestage) {
    return `options --prestage and --${notWithPrestage} are not compatible (a prestaged run continues with --resume RUN_DIR)`
  }
  const sampling = values.sample !== undefined || values.transform !== undefined
  if (sampling && (modes.length || values.prestage)) return `options --sample/--transform and --${modes[0] ?? 'prestage'} are not compatible (a sample reads the config's source and runs nothing)`
  if (values.verbose && values.quiet) return 'options --verbose and --quiet are not compatible'
  const tableFlags = (values.table?.length ?? 0) + (values['exclude-table']?.length ?? 0)
  if (tableFlags && (values.resume || values.rollback || values.cleanup || values.status || values.list)) {
    return '-t/--table and -T/--exclude-table choose the tables of a new run (or --plan, --rehearse); a run keeps the tables it began with'
  }
  return undefined
}

function numericFlags(values: CliValues): Pick<CommandLine, 'jobs' | 'partBytes' | 'compress' | 'idleLimit'> | { usage: string } {
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs)
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) {
    return { usage: `Invalid option --jobs: expected a whole number from 1 to 64, got "${values.jobs}"` }
  }
  const partMB = values['part-mb'] === undefined ? undefined : Number(values['part-mb'])
  if (partMB !== undefined && !(partMB > 0 && partMB <= 1_048_576)) {
    return { usage: `Invalid option --part-mb: expected a positive number of MiB, got "${values['part-mb']}"` }
  }
  if (values.compress !== undefined && !(COMPRESSIONS as readonly string[]).includes(values.compress)) {
    return { usage: `Invalid option --compress: expected ${COMPRESSIONS.join(' or ')}, got "${values.compress}"` }
  }
  let idleLimit: number | undefined
  try {
    idleLimit = values['idle-limit'] === undefined ? undefined : parseIdleLimit(values['idle-limit'], 'option --idle-limit')
  } catch (error) {
    return { usage: (error as Error).message }
  }
  return {
    ...(jobs !== undefined ? { jobs } : {}),
    ...(partMB !== undefined ? { partBytes: Math.round(partMB * 1024 * 1024) } : {}),
    ...(values.compress !== undefined ? { compress: values.compress as Compression } : {}),
    ...(idleLimit !== undefined ? { idleLimit } : {}),
  }
}

const VERIFY_ONLY = ['left', 'right', 'locate', 'out', 'schema'] as const
const NOT_WITH_VERIFY = ['config', 'yes', 'keep-staging', 'rollback', 'cleanup'] as const

/** What is wrong with the combination of options around --verify, if anything. */
export function verifyOptionsError(values: Record<string, unknown>): string | undefined {
  const given = (name: string) => values[name] !== undefined && values[name] !== false
  if (!values.verify) {
    const stray = VERIFY_ONLY.filter(given)
    return stray.length ? `option --${stray[0]} needs --verify` : undefined
  }
  const conflicting = NOT_WITH_VERIFY.filter(given)
  if (conflicting.length) return `option --${conflicting[0]} does not go with --verify`
  const missing = (['left', 'right'] as const).filter((name) => !given(name))
  return missing.length ? `--verify needs ${missing.map((m) => `--${m} URL`).join(' and ')}` : undefined
}
