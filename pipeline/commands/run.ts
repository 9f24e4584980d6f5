import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { join, resolve } from 'node:path'
import type { ParsedConfig } from '../config/config.ts'
import type { RunContext, RunOptions, StageContext } from '../run-state/context.ts'
import { stageContext } from '../run-state/stage-context.ts'
import type { Driver, PreflightCheck, SourceLock } from '../drivers/driver.ts'
import type { HookPoint } from '../migration/hooks/hook-points.ts'
import { lockRunDir } from '../run-state/run-dir-lock.ts'
import { sourceRecord } from '../run-state/run-of.ts'
import { discardCheckpoint, restoreCheckpoint, saveCheckpoint, stagingHalfMigrated } from '../stages/checkpoint/checkpoint.ts'
import { driverFor } from '../drivers/registry.ts'
import { describeEndpoint, withDatabase } from '../config/endpoint.ts'
import { DrydockError, inStage, type StageName } from '../errors.ts'
import { pastRuns } from '../plan/past-runs.ts'
import { setIdleLimit } from '../safety/faults/keep-alive.ts'
import { asLostConnection } from '../safety/faults/lost-connection.ts'
import { EventLog } from '../run-state/log.ts'
import { redactUrls } from '../util/redact.ts'
import { runHook } from '../migration/hooks/run-hook.ts'
import { loadbackStage } from '../stages/loadback/loadback-stage.ts'
import { shadowName } from '../stages/loadback/shadow-names.ts'
import { loadStage } from '../stages/load/load-stage.ts'
import { dumpStage } from '../stages/dump/dump-stage.ts'
import { migrateStage } from '../stages/migrate/migrate-stage.ts'
import { preflight } from '../safety/preflight/preflight.ts'
import { writeReport } from '../report/report-write.ts'
import { recordPrestage } from '../stages/refresh/record-prestage.ts'
import { refreshStage } from '../stages/refresh/refresh-stage.ts'
import type { ReportData } from '../report/report-data.ts'
import { confirmSummary } from '../report/confirm-summary.ts'
import { provenance } from '../report/run-provenance.ts'
import { createRunDirs, type Manifest, ManifestStore, newRunId, type RunPaths, runPaths } from '../run-state/run-dir.ts'
import { closeSnapshot, resumeSnapshot, snapshotStage } from '../stages/snapshot/snapshot-stage.ts'
import { attachStaging, stagingStage, stopStaging } from '../stages/staging/staging-stage.ts'
import { dropRehearsalCopy, rehearsalCopyEndpoint } from '../stages/loadback/rehearsal-target.ts'
import { type RunStageName, runOrder, stageTitle, stagesFrom } from '../stages.ts'
import { settleInterruptedSwap } from '../stages/swap/settle-swap.ts'
import { dropInPlaceCopy, inPlaceCopy } from '../stages/loadback/copy-target.ts'
import { takeShadowFence } from '../stages/swap/shadow-fence.ts'
import { swapStage } from '../stages/swap/swap-stage.ts'
import { runStages, type StageSpec } from '../display/ui.ts'
import { verifySnapshotToStaging, verifyStagingToTarget } from '../stages/verify/verify-stage.ts'

export interface UpgradeResult {
  report: ReportData
  runDir: string
}

/**
 * The whole offline upgrade: snapshot → staging → dump → load → verify → migrate →
 * (confirm) → load back → verify → swap → report. Production is only read until the load
 * back, and the live database only changes at the swap, after both hops verified.
 */
export async function runUpgrade(config: ParsedConfig, options: RunOptions): Promise<UpgradeResult> {
  setIdleLimit(config.idleLimitSeconds)
  const driver = await driverFor(config.source.engine)
  let runId = newRunId()
  for (let n = 2; existsSync(join(config.runDir, runId)); n++) runId = `${newRunId()}-${n}`
  const info = await preflight(config, driver, { newRun: { runId }, jobs: options.jobs })
  const paths = runPaths(join(config.runDir, runId))
  createRunDirs(paths)
  const manifest = new ManifestStore(paths.manifest, {
    version: 1, runId, createdAt: new Date().toISOString(), engine: driver.engine, configFile: config.file,
    source: describeEndpoint(config.source), sourceEndpoint: sourceRecord(config.source), sourceVersion: info.source.version,
    staging: { kind: config.staging === 'ephemeral' ? 'ephemeral' : 'url' },
    target: config.target === 'in-place'
      ? { kind: 'in-place', endpoint: describeEndpoint(config.source), shadow: shadowName(config.source.database, runId) }
      : { kind: 'url', endpoint: describeEndpoint(config.target) },
    mode: options.rehearse ? 'rehearsal' : 'upgrade', provenance: provenance(config),
    ...(options.prestage ? { prestageAsked: true } : {}),
    stages: {}, tables: {}, migrated: {}, steps: [],
  })
  await manifest.save()
  return executeRun(config, driver, paths, manifest, options, false, info.checks.filter((c) => c.status === 'warn'))
}

/**
 * Continues a run that stopped (error, Ctrl-C, kill -9, lost connection) from its manifest:
 * finished stages and units are not redone, half-done units are redone from scratch.
 */
export async function resumeUpgrade(runDir: string, config: ParsedConfig, options: RunOptions): Promise<UpgradeResult> {
  const paths = runPaths(resolve(runDir))
  if (!existsSync(paths.manifest)) {
    throw new DrydockError('DD_RUN_NOT_FOUND', `no drydock run in ${paths.root} (manifest.json missing)`, {
      hint: 'pass the run directory printed by the run (drydock-runs/<run id>)',
    })
  }
  setIdleLimit(config.idleLimitSeconds)
  const manifest = ManifestStore.load(paths.manifest)
  const driver = await driverFor(config.source.engine)
  checkSameSource(manifest.data, config)
  // Killed during the swap: the server tells whether it happened; a swapped run is then finished.
  await settleInterruptedSwap(driver, config.source, manifest)
  checkResumable(manifest.data, paths.root, options.from)
  await preflight(config, driver, { jobs: options.jobs })
  // A prestaged run's refresh follows new and dropped tables itself (and refuses other schema changes).
  const refreshing = manifest.data.prestage !== undefined && manifest.data.stages.refresh?.status !== 'done'
  if (manifest.data.swap?.status !== 'swapped' && !refreshing) await checkSchemaUnchanged(driver, config, manifest.data)
  await manifest.update((m) => {
    m.resumes = [...(m.resumes ?? []), { at: new Date().toISOString() }]
    delete m.verdict
    delete m.failure
    if (options.from === 'migrate') {
      // Everything from the migration on runs again, on staging as it was after hop 1.
      for (const stage of stagesFrom('migrate')) delete m.stages[stage]
      m.migrated = {}
      m.hooksRun = (m.hooksRun ?? []).filter((h) => h === 'beforeSnapshot')
    }
  })
  // A prestage killed before it finished goes on prestaging; a finished one goes on with the refresh.
  const prestage = manifest.data.prestageAsked === true && manifest.data.prestage === undefined
  return executeRun(config, driver, paths, manifest, { ...options, rehearse: manifest.data.mode === 'rehearsal', prestage }, true)
}

/** Failures a resume cannot get past: their hints say what to do instead. */
const NOT_RESUMABLE = new Set(['DD_SOURCE_LOCKED', 'DD_RUN_LOCKED', 'DD_CHECKPOINT_MISSING', 'DD_CHECKPOINT_MISMATCH'])

async function executeRun(
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
    await stages(ctx)
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

/** What a stage of the table runs, given the context its row needs: the compiler ties each name to its row. */
type StageRuns = {
  readonly [S in RunStageName]: {
    /** Before the row's needs are checked: brings back what the stage needs when the run asks (a checkpoint restore). */
    readonly setUp?: (ctx: RunContext) => Promise<void>
    readonly run: (ctx: StageContext<S>) => Promise<void>
    /** On resume, for a stage an earlier attempt finished: restore what later stages need. */
    readonly resume?: (ctx: RunContext) => Promise<void>
  }
}

/** What each stage of the table (stages.ts) runs, and on resume what a finished one restores for later ones. */
export const STAGE_RUNS: StageRuns = {
  snapshot: { run: snapshotStage, resume: resumeSnapshot },
  staging: { run: stagingStage, resume: attachStaging },
  dump: { run: dumpStage },
  load: { run: loadStage },
  'verify-hop1': { run: verifyAndCheckpoint },
  refresh: { run: refreshAndCheckpoint },
  migrate: { setUp: restoreWhereAsked, run: migrateStage },
  loadback: { run: loadbackStage, resume: reattachTarget },
  'verify-hop2': { run: fenceAndVerifyCopy, resume: reattachTarget },
  swap: { run: swapStage },
}

/** A stage for the UI: its set-up, then the check of its row's needs (stage-context.ts), then the stage. */
function stageSpec<S extends RunStageName>(name: S, title: string): StageSpec {
  const { setUp, run, resume } = STAGE_RUNS[name]
  return {
    name, title, ...(resume ? { resume } : {}),
    run: async (ctx) => {
      await setUp?.(ctx)
      await run(stageContext(name, ctx))
    },
  }
}

/** The stages in order (stages.ts); on resume, finished ones are skipped or re-attached (ui.ts). */
async function stages(ctx: RunContext): Promise<void> {
  const { config, manifest, options } = ctx
  const facts = { steps: config.steps.length, inPlace: config.target === 'in-place', rehearse: options.rehearse === true }
  const order = runOrder({ prestage: options.prestage === true, prestaged: manifest.data.prestage !== undefined })
  for (const group of betweenPauses(order)) {
    await beforeStage(ctx, group[0]!)
    await runStages(ctx, group.map((stage) => stageSpec(stage.name, stageTitle(stage, facts))))
  }
  // --prestage stops before the window; its --resume refreshes staging first.
  if (options.prestage) return
  await manifest.update((m) => {
    m.verdict = 'verified'
    // The window: for a prestaged run from the refresh's start, else from the run's start, to the swap's end.
    const startedAt = m.refresh?.startedAt ?? m.createdAt
    const endedAt = m.stages.swap?.finishedAt ?? new Date().toISOString()
    m.window ??= { startedAt, endedAt, ms: Date.parse(endedAt) - Date.parse(startedAt) }
  })
  await hookOnce(ctx, 'afterSwap')
}

type OrderedStage = ReturnType<typeof runOrder>[number]

/** The run's stages cut where something comes between them: a hook, the confirmation, the window's start. */
function betweenPauses(order: readonly OrderedStage[]): OrderedStage[][] {
  const groups: OrderedStage[][] = []
  order.forEach((stage, i) => {
    const pause = i === 0 || stage.hookBefore || stage.confirmBefore || (order[i - 1]!.prestage && !stage.prestage)
    if (pause) groups.push([stage])
    else groups.at(-1)!.push(stage)
  })
  return groups
}

async function beforeStage(ctx: RunContext, stage: OrderedStage): Promise<void> {
  // Production is not read through the snapshot while it is written.
  if (stage.confirmBefore) await closeSnapshot(ctx)
  // A prestage runs beside the application: its beforeSnapshot (stop the app) waits for the refresh.
  if (stage.hookBefore && !ctx.options.prestage) await hookOnce(ctx, stage.hookBefore)
  if (stage.confirmBefore && ctx.manifest.data.stages[stage.name]?.status !== 'done') await confirmLoadBack(ctx)
}

/** Hop 1, then (rehearsals, --checkpoint) a checkpoint of the verified staging. */
async function verifyAndCheckpoint(ctx: StageContext<'verify-hop1'>): Promise<void> {
  await verifySnapshotToStaging(ctx)
  if (ctx.options.prestage) await recordPrestage(ctx)
  await closeSnapshot(ctx)
  if (ctx.options.checkpoint ?? ctx.options.rehearse) await saveCheckpoint(ctx)
}

/** The refresh; a checkpoint kept of the prestaged staging is taken again (it is stale now). */
async function refreshAndCheckpoint(ctx: StageContext<'refresh'>): Promise<void> {
  await refreshStage(ctx)
  if (ctx.manifest.data.checkpoint && ctx.manifest.data.checkpoint.kind !== 'dump-files') await saveCheckpoint(ctx)
}

/** Hop 2, after reading the copy's write marks: the swap checks them (a beforeSwap hook runs in between). */
async function fenceAndVerifyCopy(ctx: StageContext<'verify-hop2'>): Promise<void> {
  await takeShadowFence(ctx)
  await verifyStagingToTarget(ctx)
}

/**
 * `--resume RUN --from migrate` first brings staging back to its checkpoint (or rebuilds it
 * from the dump files); so does any resume that finds staging possibly half-migrated.
 */
async function restoreWhereAsked(ctx: RunContext): Promise<void> {
  const halfMigrated = ctx.options.from === 'migrate' ? undefined : stagingHalfMigrated(ctx.manifest.data)
  if (halfMigrated) {
    const message = `${halfMigrated}: staging may be half-migrated, so it is restored to its state before the migration first`
    ctx.log.write({ kind: 'info', stage: 'migrate', message })
    process.stderr.write(`${message}\n`)
  }
  if (ctx.options.from === 'migrate' || halfMigrated) await restoreCheckpoint(ctx)
}

/** A hook runs once per run, even when the run is resumed after it. */
async function hookOnce(ctx: RunContext, point: HookPoint): Promise<void> {
  if (ctx.manifest.data.hooksRun?.includes(point)) return
  await runHook(ctx, point)
  await ctx.manifest.update((m) => { m.hooksRun = [...(m.hooksRun ?? []), point] })
}

/** After a verified hop 2, a resumed run only needs to know where the copy is. */
async function reattachTarget(ctx: RunContext): Promise<void> {
  const { config, manifest } = ctx
  if (manifest.data.target.rehearsal) ctx.loadTarget = rehearsalCopyEndpoint(config, manifest.data, ctx.ephemeral?.endpoint)
  else ctx.loadTarget = config.target === 'in-place' ? inPlaceCopy(config.source, manifest.data) : config.target
}

/** Production's schema must be the one the run began with, whatever stage it stopped at. */
async function checkSchemaUnchanged(driver: Driver, config: ParsedConfig, m: Manifest): Promise<void> {
  if (!m.snapshot?.fingerprint) return
  const session = await driver.connect(config.source)
  const now = await session.fingerprint(config.schemas).finally(() => session.close())
  if (now !== m.snapshot.fingerprint) {
    throw new DrydockError('DD_RESUME_SCHEMA_CHANGED', `the schema of ${describeEndpoint(config.source)} changed since run ${m.runId} began (tables, columns, constraints, indexes or views differ)`, {
      stage: 'preflight', hint: 'a resumed run cannot mix two schemas: --cleanup this run and start a new one',
    })
  }
}

function checkSameSource(m: Manifest, config: ParsedConfig): void {
  if (m.source !== describeEndpoint(config.source) || m.engine !== config.source.engine) {
    throw new DrydockError('DD_RESUME_MISMATCH', `run ${m.runId} was for ${m.source}, the config names ${describeEndpoint(config.source)}`, {
      hint: `resume with the config the run used (${m.configFile})`,
    })
  }
}

function checkResumable(m: Manifest, runDir: string, from?: 'migrate'): void {
  // A verified rehearsal may run its migration again from the checkpoint; a swapped run may not.
  if (from === 'migrate' && m.stages['verify-hop1']?.status !== 'done') {
    throw new DrydockError('DD_RESUME_FROM_MIGRATE_EARLY', `run ${m.runId} stopped before hop 1 verified staging: there is no migration to rerun yet`, {
      hint: `continue it with --resume ${runDir} (without --from)`,
    })
  }
  const rerunRehearsal = from === 'migrate' && m.mode === 'rehearsal' && !m.swap
  // Swapped by an attempt killed before it could record it (settled from the server): the resume finishes it.
  const unfinishedSwap = m.swap?.status === 'swapped' && m.verdict === undefined && from === undefined
  if (!rerunRehearsal && !unfinishedSwap && (m.verdict === 'verified' || m.swap || m.verdict === 'abandoned' || m.verdict === 'rolled-back')) {
    throw new DrydockError('DD_NOTHING_TO_RESUME', `run ${m.runId} is finished (${m.verdict ?? m.swap?.status}): there is nothing to resume`, {
      hint: 'start a new run, or use --rollback / --cleanup on this one',
    })
  }
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

async function confirmLoadBack(ctx: RunContext): Promise<void> {
  if (ctx.options.yes || ctx.options.rehearse) return
  const { config, manifest } = ctx
  const where = config.target === 'in-place'
    ? ctx.driver.schemaSwap
      ? `into a shadow copy on ${describeEndpoint(config.source)} (shadow schemas inside the live database where the migration allows, else a shadow database) and then swap it with the live data`
      : `into shadow database "${manifest.data.target.shadow}" on ${describeEndpoint(withDatabase(config.source, manifest.data.target.shadow!))} and then swap it with the live database "${config.source.database}"`
    : `into ${describeEndpoint(config.target)}`
  if (!process.stdin.isTTY) {
    throw new DrydockError('DD_CONFIRMATION_NEEDED', `about to load the migrated data ${where}, but there is no terminal to confirm it`, {
      stage: 'loadback', hint: `production is untouched; to confirm without a terminal, continue with: ${continueCommand(ctx)} --yes`,
    })
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  // In raw mode Ctrl-C reaches readline, not the process: stop the run the way a signal does.
  prompt.on('SIGINT', () => process.kill(process.pid, 'SIGINT'))
  let answer: string
  try {
    process.stderr.write(`\n${confirmSummary(manifest.data, where)}\n`)
    answer = await prompt.question('Write production now? [y/N] ', { signal: ctx.signal })
  } catch (error) {
    throw ctx.signal.aborted ? ctx.signal.reason : error
  } finally {
    prompt.close()
  }
  if (!/^y(es)?$/i.test(answer.trim())) {
    throw new DrydockError('DD_ABORTED', 'stopped before writing production, as asked', {
      stage: 'loadback', hint: `production is untouched; when ready, continue with: ${continueCommand(ctx)}`,
    })
  }
}

function continueCommand(ctx: RunContext): string {
  return `npx zx scripts/offline-upgrade.mjs --resume ${ctx.paths.root}`
}
