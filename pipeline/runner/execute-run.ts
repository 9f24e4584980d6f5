import type { ParsedConfig } from '../config/config.ts'
import type { RunContext, RunOptions } from '../run-state/context.ts'
import type { Driver, PreflightCheck, SourceLock } from '../drivers/driver.ts'
import { lockRunDir } from '../run-state/run-dir-lock.ts'
import { discardCheckpoint } from '../stages/checkpoint/checkpoint.ts'
import { DrydockError, inStage, type StageName } from '../errors.ts'
import { pastRuns } from '../plan/past-runs.ts'
import { asLostConnection } from '../safety/faults/lost-connection.ts'
import { EventLog } from '../run-state/log.ts'
import { redactUrls } from '../util/redact.ts'
import { runHook } from '../migration/hooks/run-hook.ts'
import { writeReport } from '../report/report-write.ts'
import type { ReportData } from '../report/report-data.ts'
import { ManifestStore, type RunPaths } from '../run-state/run-dir.ts'
import { closeSnapshot } from '../stages/snapshot/snapshot-stage.ts'
import { stopStaging } from '../stages/staging/staging-stage.ts'
import { dropRehearsalCopy } from '../stages/loadback/rehearsal-target.ts'
import { dropInPlaceCopy } from '../stages/loadback/copy-target.ts'
import { runStageTable } from './stage-runs.ts'

export interface UpgradeResult {
  report: ReportData
  runDir: string
}

/** Failures a resume cannot get past: their hints say what to do instead. */
const NOT_RESUMABLE = new Set(['DD_SOURCE_LOCKED', 'DD_RUN_LOCKED', 'DD_CHECKPOINT_MISSING', 'DD_CHECKPOINT_MISMATCH'])

export async function executeRun(
  config: ParsedConfig, driver: Driver, paths: RunPaths, manifest: ManifestStore, options: RunOptions, resumed: boolean,
  warnings: readonly PreflightCheck[] = [],
): Promise<UpgradeResult> {
  const runId = manifest.data.runId
  const unlockDir = lockRunDir(paths.root)
  let sourceLock: SourceLock | undefined
  const secrets = [config.source, config.staging, config.target, ...config.replicas.map((r) => r.endpoint)]
    .map((e) => (typeof e === 'object' ? e.password : undefined)).filter((p): p is string => !!p)
  const interrupt = new AbortController()
  const ctx: RunContext = {
    config, driver, paths, manifest, options,
    log: new EventLog(paths.events, secrets, options.verbosity === 'verbose' ? (line) => process.stderr.write(`${redactUrls(line)}\n`) : undefined),
    sourceWorkers: [], tables: [], signal: interrupt.signal, resumed, openSessions: new Set(),
    lastTimings: lastTimings(config, runId),
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(130)
    process.stderr.write(`\n${signal}: stopping — the units under way are abandoned and rolled back (press Ctrl-C again to quit at once)\n`)
    interrupt.abort(new DrydockError('DD_INTERRUPTED', `stopped by ${signal}`, {
      hint: `resume with: npx zx scripts/offline-upgrade.mjs --resume ${paths.root}`,
    }))
    for (const session of ctx.openSessions) void session.close().catch(() => {})
  }
  // Pre-flight warnings (say, tables without transactions) are part of the run's record.
  for (const w of warnings) ctx.log.write({ kind: 'warning', stage: 'preflight', message: `${w.title}: ${w.detail}${w.code ? ` (${w.code})` : ''}` })
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    sourceLock = await driver.lockSource(config.source, runId)
    await runStageTable(ctx)
  } catch (caught) {
    const error = interrupt.signal.aborted ? interrupt.signal.reason : caught
    const wrapped = error instanceof DrydockError ? error : inStage('report', error)
    if (wrapped !== error) Object.assign(wrapped.ctx, { stage: (error as DrydockError).ctx?.stage })
    const e = asLostConnection(wrapped, driver)
    // A hook failing after the swap does not undo a verified upgrade: the verdict stands.
    const swapped = manifest.data.swap?.status === 'swapped'
    // Recording the failure may fail too (a full disk): the sessions and staging are closed all the same.
    const unrecorded = (what: string) => (recordError: Error) => {
      ctx.log.write({ kind: 'warning', stage: 'report', message: `could not write the ${what}: ${recordError.message}` })
    }
    await manifest.update((m) => {
      if (!swapped) m.verdict = 'failed'
      m.failure = { code: e.code, message: e.message, ...(e.ctx.stage ? { stage: e.ctx.stage } : {}), ...(e.ctx.table ? { table: e.ctx.table } : {}) }
    }).catch(unrecorded('manifest'))
    await shutdown(ctx, 'failure')
    await writeReport(paths, manifest).catch(unrecorded('report'))
    await runHook(ctx, 'onFailure', { DRYDOCK_ERROR: `${e.code}: ${e.message}` }).catch((hookError: DrydockError) => {
      ctx.log.write({ kind: 'warning', stage: 'hooks', message: hookError.message })
      process.stderr.write(`warning: ${hookError.message}\n`)
    })
    if (!swapped && e.ctx.resumable !== false && !NOT_RESUMABLE.has(e.code)) {
      // Hints from below say "--resume"; the operator needs the exact run directory.
      const hint = e.ctx.hint?.includes('--resume')
        ? e.ctx.hint.replace(/--resume(?! \/)/g, `--resume ${paths.root}`)
        : `${e.ctx.hint ? `${e.ctx.hint}; ` : ''}then continue with --resume ${paths.root}`
      Object.assign(e.ctx, { hint })
    }
    if (!e.ctx.hint?.includes('(run directory: ')) Object.assign(e.ctx, { hint: `${e.ctx.hint ?? 'see the log'} (run directory: ${paths.root})` })
    throw e
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await sourceLock?.release()
    unlockDir()
  }
  // A rehearsal keeps its checkpoint for the next `--from migrate`; an upgrade is done with it (a prestaged one later).
  if (!options.rehearse && !options.prestage) await discardCheckpoint(ctx).catch(() => {})
  await shutdown(ctx, 'success')
  return { report: await writeReport(paths, manifest), runDir: paths.root }
}

/** The last verified run's stage times, so progress can show ETAs for the stage and the run. */
function lastTimings(config: ParsedConfig, runId: string): { stage: StageName; ms: number }[] {
  const previous = pastRuns(config.runDir, config.file, { before: runId })[0]
  if (!previous) return []
  return Object.entries(previous.stages).filter(([, r]) => r?.ms !== undefined).map(([stage, r]) => ({ stage: stage as StageName, ms: r!.ms! }))
}

async function shutdown(ctx: RunContext, outcome: 'success' | 'failure'): Promise<void> {
  for (const session of ctx.openSessions) await session.close().catch(() => {})
  await closeSnapshot(ctx).catch(() => {})
  await stopStaging(ctx, outcome).catch(() => {})
  await dropFailedShadow(ctx).catch(() => {})
}

/** A shadow that never became live is half-loaded or unverified: drop it (kept with --keep-staging). */
async function dropFailedShadow(ctx: RunContext): Promise<void> {
  const { manifest, config } = ctx
  if (!manifest.data.target.shadowCreated || manifest.data.swap || ctx.options.keepStaging) return
  if (manifest.data.verdict === 'verified') return
  if (manifest.data.target.rehearsal) {
    await dropRehearsalCopy(ctx.driver, config, manifest, ctx.ephemeral?.endpoint)
    return
  }
  if (config.target === 'in-place') await dropInPlaceCopy(ctx.driver, config.source, manifest.data)
  else await ctx.driver.dropDatabase(config.target, config.target.database)
  await manifest.update((m) => { m.target.shadowCreated = false })
}

