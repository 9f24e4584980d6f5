import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { verifyCommand, verifyOptionsError } from './commands/verify-command.ts'
import { loadConfig, type ParsedConfig, parseIdleLimit } from './config/config.ts'
import { listCommand, statusCommand } from './commands/run-status.ts'
import { DrydockError, isDrydockError } from './errors.ts'
import { nextStepsText, summaryText } from './report/report-write.ts'
import { ManifestStore } from './run-state/run-dir.ts'
import { resumeUpgrade, runUpgrade } from './commands/run.ts'
import { openRun } from './run-state/run-of.ts'
import { cleanupCommand, rollbackCommand } from './stages/swap/swap-commands.ts'
import { pastRuns } from './plan/past-runs.ts'
import { planUpgrade } from './plan/plan.ts'
import { planText } from './plan/plan-text.ts'
import { compareWithPrevious } from './plan/rehearsal-compare.ts'
import { redactUrls } from './util/redact.ts'
import { versionText } from './util/version.ts'
import { sampleCommand } from './migration/transform/sample.ts'
import { parseThrottleFlags, withThrottleFlags } from './safety/throttle/throttle-config.ts'
import { type Compression, COMPRESSIONS } from './transfer/file-codec.ts'

export const HELP = `drydock: offline database upgrade — dump → stage → migrate → verify → load back → swap

Usage:
  npx zx scripts/offline-upgrade.mjs --plan [--config FILE]        what a run would do, disk and time (writes nothing)
  npx zx scripts/offline-upgrade.mjs --rehearse [--config FILE]    every stage, but never swap production
  npx zx scripts/offline-upgrade.mjs [--config FILE] [options]    run an upgrade
  npx zx scripts/offline-upgrade.mjs --prestage [--config FILE]    before the window, while the application runs: snapshot,
                                                                   staging, dump, load, hop 1, then stop (staging kept)
  npx zx scripts/offline-upgrade.mjs --resume RUN_DIR              in the window, after a --prestage (application stopped):
                                                                   refresh staging from production, then migrate … swap
  npx zx scripts/offline-upgrade.mjs --resume RUN_DIR              continue a run that stopped (error, Ctrl-C, kill)
  npx zx scripts/offline-upgrade.mjs --resume RUN_DIR --from migrate   run the migration again from the staging checkpoint
  npx zx scripts/offline-upgrade.mjs --sample N --transform FILE   try a row transform on the first N source rows (reads only)
  npx zx scripts/offline-upgrade.mjs --rollback RUN               swap the run's old database back (RUN: its directory or run id)
  npx zx scripts/offline-upgrade.mjs --cleanup RUN                drop the run's old-database backup (after a swap),
                                                                   or discard a stopped run's staging and copies
  npx zx scripts/offline-upgrade.mjs --list [--config FILE]        the runs in the run directory and where each stands
  npx zx scripts/offline-upgrade.mjs --status RUN                 one run's state, stage by stage, and what to do next
  npx zx scripts/offline-upgrade.mjs --verify --left URL --right URL [--locate] [--out DIR]
                                                                   compare two databases table by table

Options:
  -c, --config FILE     config file (.mjs or .ts)       default: upgrade.config.mjs, then .ts
  -y, --yes             do not ask before loading the migrated data into production
  -t, --table PATTERN   carry only these tables' rows (repeatable; replaces tables.include;
                        the other tables travel empty, like pg_dump --exclude-table-data)
  -T, --exclude-table PATTERN
                        also leave these tables' rows out (repeatable; adds to tables.exclude)
  -v, --verbose         also print the run's events (tables done, retries, decisions) to stderr
  -q, --quiet           no progress display: only errors and the final summary
      --keep-staging    keep the ephemeral staging server's data directory (stopped)
      --checkpoint      keep a checkpoint of staging after hop 1 (always on with --rehearse)
  -j, --jobs N          parallel workers                default: config jobs, else CPU cores
      --max-rate RATE   limit the load into production  default: config throttle.maxRate, else none
                        (all streams together): 50MB/s, 800KB/s, bytes per second, or off
      --part-mb N       split tables bigger than N MiB  default: config partMB, else 128
      --compress gzip   compress dump files (gzip level 1)   default: config compress, else none
      --no-direct       write every dump file first, then load the files (default: stream
                        straight into the next database while writing the files)
      --max-replica-lag SECONDS
                        pause the load while a replica  default: config throttle.maxReplicaLag, else none
                        lags more than this, or off
      --idle-limit SECONDS
                        the longest a connection to a   default: config idleLimitSeconds, else 60
                        server may stay silent (below every proxy's idle timeout on the way)
  -V, --version         drydock's version and commit
  -h, --help            this help

Verify (read-only on both sides; no config needed):
      --left URL, --right URL   the two databases (postgres://user@host:port/db)
      --locate          for differing tables with an integer primary key, list the differing keys
      --out DIR         also write compare.json and compare.md to DIR
      --schema NAME     compare only this schema (repeatable)   default: every non-system schema
  -j, --jobs N          sessions per side                       default: CPU cores, at most 4

Exit codes: 0 verified (or rollback/cleanup done; with --verify: every table equal), 1 stopped with
an error (production as it was unless the message says otherwise; with --verify: differences
found), 2 wrong arguments, 130 stopped by Ctrl-C/SIGTERM (resumable).`

/** Every flag the command line accepts (docs/cli.md lists each one). */
export const CLI_OPTIONS = {
  config: { type: 'string', short: 'c' },
  yes: { type: 'boolean', short: 'y', default: false },
  'keep-staging': { type: 'boolean', default: false },
  jobs: { type: 'string', short: 'j' },
  rollback: { type: 'string' },
  resume: { type: 'string' },
  from: { type: 'string' },
  checkpoint: { type: 'boolean', default: false },
  cleanup: { type: 'string' },
  plan: { type: 'boolean', default: false },
  rehearse: { type: 'boolean', default: false },
  prestage: { type: 'boolean', default: false },
  verify: { type: 'boolean', default: false },
  left: { type: 'string' },
  right: { type: 'string' },
  locate: { type: 'boolean', default: false },
  out: { type: 'string' },
  schema: { type: 'string', multiple: true },
  sample: { type: 'string' },
  transform: { type: 'string' },
  'max-rate': { type: 'string' },
  'part-mb': { type: 'string' },
  'no-direct': { type: 'boolean', default: false },
  compress: { type: 'string' },
  'max-replica-lag': { type: 'string' },
  'idle-limit': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'V', default: false },
  list: { type: 'boolean', default: false },
  status: { type: 'string' },
  table: { type: 'string', short: 't', multiple: true },
  'exclude-table': { type: 'string', short: 'T', multiple: true },
  verbose: { type: 'boolean', short: 'v', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
} as const

/** Runs the command line; returns the exit code. Results go to stdout, everything else to stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  let args
  try {
    args = parseArgs({
      args: [...argv],
      options: CLI_OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    process.stderr.write(`drydock: ${(error as Error).message}\nRun with --help for usage.\n`)
    return 2
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  if (args.version) {
    process.stdout.write(`${versionText()}\n`)
    return 0
  }
  const verifyError = verifyOptionsError(args)
  if (verifyError) {
    process.stderr.write(`drydock: ${verifyError}\nRun with --help for usage.\n`)
    return 2
  }
  if (args.from !== undefined && (args.from !== 'migrate' || !args.resume)) {
    process.stderr.write(`drydock: Invalid option --from: only "--from migrate" with --resume RUN_DIR is supported, got "${args.from}"\n`)
    return 2
  }
  const modes = (['rollback', 'cleanup', 'plan', 'rehearse', 'resume', 'status', 'list'] as const).filter((m) => args[m])
  if (modes.length > 1) {
    process.stderr.write(`drydock: options --${modes[0]} and --${modes[1]} are not compatible\n`)
    return 2
  }
  // A prestaged rehearsal is allowed: it rehearses the refresh as well.
  const notWithPrestage = modes.find((m) => m !== 'rehearse')
  if (args.prestage && notWithPrestage) {
    process.stderr.write(`drydock: options --prestage and --${notWithPrestage} are not compatible (a prestaged run continues with --resume RUN_DIR)\n`)
    return 2
  }
  if (args.verbose && args.quiet) {
    process.stderr.write('drydock: options --verbose and --quiet are not compatible\n')
    return 2
  }
  const tableFlags = { include: args.table ?? [], exclude: args['exclude-table'] ?? [] }
  if ((tableFlags.include.length || tableFlags.exclude.length) && (args.resume || args.rollback || args.cleanup || args.status || args.list)) {
    process.stderr.write('drydock: -t/--table and -T/--exclude-table choose the tables of a new run (or --plan, --rehearse); a run keeps the tables it began with\n')
    return 2
  }
  const jobs = args.jobs === undefined ? undefined : Number(args.jobs)
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) {
    process.stderr.write(`drydock: Invalid option --jobs: expected a whole number from 1 to 64, got "${args.jobs}"\n`)
    return 2
  }
  const partMB = args['part-mb'] === undefined ? undefined : Number(args['part-mb'])
  if (partMB !== undefined && !(partMB > 0 && partMB <= 1_048_576)) {
    process.stderr.write(`drydock: Invalid option --part-mb: expected a positive number of MiB, got "${args['part-mb']}"\n`)
    return 2
  }
  if (args.compress !== undefined && !(COMPRESSIONS as readonly string[]).includes(args.compress)) {
    process.stderr.write(`drydock: Invalid option --compress: expected ${COMPRESSIONS.join(' or ')}, got "${args.compress}"\n`)
    return 2
  }
  let idleLimit: number | undefined
  try {
    idleLimit = args['idle-limit'] === undefined ? undefined : parseIdleLimit(args['idle-limit'], 'option --idle-limit')
  } catch (error) {
    process.stderr.write(`drydock: ${(error as Error).message}\n`)
    return 2
  }
  const throttleFlags = parseThrottleFlags({ maxRate: args['max-rate'], maxReplicaLag: args['max-replica-lag'] })
  if ('error' in throttleFlags) {
    process.stderr.write(`drydock: ${throttleFlags.error}\n`)
    return 2
  }
  try {
    if (args.verify) {
      return await verifyCommand({ left: args.left, right: args.right, locate: args.locate, out: args.out, jobs, schemas: args.schema })
    }
    if (args.status) {
      process.stdout.write(`${await statusCommand(args.status, args.config)}\n`)
      return 0
    }
    if (args.list) {
      const config = args.config !== undefined || existsSync(defaultConfigPath()) ? await loadConfig(args.config ?? defaultConfigPath()) : undefined
      process.stdout.write(`${listCommand(config, resolve('drydock-runs'))}\n`)
      return 0
    }
    if (args.rollback) {
      process.stdout.write(`${await rollbackCommand(args.rollback, args.config)}\n`)
      return 0
    }
    if (args.cleanup) {
      process.stdout.write(`${await cleanupCommand(args.cleanup, args.config)}\n`)
      return 0
    }
    const resumed = args.resume ? await openRun(args.resume, args.config) : undefined
    if (resumed && !resumed.config) {
      throw new DrydockError('DD_CONFIG_MISSING', `run ${resumed.manifest.data.runId} cannot be resumed without its config: ${resumed.configNote}`, {
        stage: 'config', hint: `pass --config FILE with the run's migration, naming ${resumed.manifest.data.source}`,
      })
    }
    const loaded = withThrottleFlags(resumed?.config ?? await loadConfig(args.config ?? defaultConfigPath()), throttleFlags)
    const config = withTableFlags(idleLimit === undefined ? loaded : Object.freeze({ ...loaded, idleLimitSeconds: idleLimit }), tableFlags)
    // --sample N --transform FILE: try a row transform on the source's first N rows (reads only).
    if (args.sample !== undefined || args.transform !== undefined) return await sampleCommand(config, args.sample, args.transform)
    const workers = jobs ?? config.jobs ?? availableParallelism()
    if (args.plan) {
      const plan = await planUpgrade(config, workers)
      process.stdout.write(`${planText(plan)}\n`)
      // A plan whose checks fail describes a run that would stop: say so to scripts too.
      return plan.checksStatus === 'fail' ? 1 : 0
    }
    const options = {
      yes: args.yes, keepStaging: args['keep-staging'], jobs: workers, rehearse: args.rehearse, ...(args.prestage ? { prestage: true } : {}),
      ...(args.checkpoint ? { checkpoint: true } : {}), ...(args.from === 'migrate' ? { from: 'migrate' as const } : {}),
      ...(partMB !== undefined ? { partBytes: Math.round(partMB * 1024 * 1024) } : {}), ...(args['no-direct'] ? { direct: false } : {}),
      ...(args.compress !== undefined ? { compress: args.compress as Compression } : {}),
      ...(args.verbose ? { verbosity: 'verbose' as const } : args.quiet ? { verbosity: 'quiet' as const } : {}),
    }
    const result = resumed ? await resumeUpgrade(resumed.paths.root, config, options) : await runUpgrade(config, options)
    const reportPaths = { md: join(result.runDir, 'report.md'), html: join(result.runDir, 'report.html') }
    process.stdout.write(`${summaryText(result.report)}\n${nextStepsText(result.report, result.runDir, reportPaths)}\n`)
    if (args.prestage) {
      process.stdout.write(`prestaged: staging holds production as of ${result.report.snapshot?.takenAt ?? 'the snapshot'}, verified.\nIn the window, stop the application, then run: npx zx scripts/offline-upgrade.mjs --resume ${result.runDir}\n`)
      return 0
    }
    if (args.rehearse) {
      const previous = pastRuns(config.runDir, config.file, { rehearsalsOnly: true, before: result.report.runId })[0]
      const manifest = ManifestStore.load(join(result.runDir, 'manifest.json')).data
      const changes = previous ? compareWithPrevious(manifest, previous) : []
      process.stdout.write(previous
        ? `compared with rehearsal ${previous.runId}: ${changes.length ? `\n  ${changes.join('\n  ')}` : 'no stage changed by more than 1.5×'}\n`
        : 'first rehearsal of this config: its timings are the baseline for --plan and later rehearsals\n')
    }
    return 0
  } catch (error) {
    printError(error)
    return isDrydockError(error) && error.code === 'DD_INTERRUPTED' ? 130 : 1
  }
}

/** `-t` replaces the config's tables.include (only these tables' rows are carried); `-T` adds to tables.exclude. */
function withTableFlags(config: ParsedConfig, flags: { include: string[]; exclude: string[] }): ParsedConfig {
  if (flags.include.length === 0 && flags.exclude.length === 0) return config
  return Object.freeze({
    ...config,
    include: flags.include.length ? flags.include : config.include,
    exclude: [...config.exclude, ...flags.exclude],
  })
}

function defaultConfigPath(): string {
  const ts = resolve('upgrade.config.ts')
  return existsSync(resolve('upgrade.config.mjs')) || !existsSync(ts) ? resolve('upgrade.config.mjs') : ts
}

export function printError(error: unknown): void {
  if (isDrydockError(error)) {
    if (!error.logged) process.stderr.write(`\n✗ ${redactUrls(error.describe())}\n  [${error.code}]\n`)
    error.logged = true
    return
  }
  process.stderr.write(`\n✗ unexpected error: ${redactUrls((error as Error)?.stack ?? String(error))}\n`)
}
