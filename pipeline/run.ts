import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { join } from 'node:path'
import type { ParsedConfig } from './config.ts'
import type { RunContext, RunOptions } from './context.ts'
import { driverFor } from './drivers/registry.ts'
import { describeEndpoint, withDatabase } from './endpoint.ts'
import { DrydockError, inStage, type StageName } from './errors.ts'
import { pastRuns } from './plan/past-runs.ts'
import { EventLog } from './log.ts'
import { runHook } from './hooks/run-hook.ts'
import { loadbackStage } from './loadback/loadback-stage.ts'
import { shadowName } from './loadback/shadow-names.ts'
import { loadStage } from './load/load-stage.ts'
import { dumpStage } from './dump/dump-stage.ts'
import { migrateStage } from './migrate/migrate-stage.ts'
import { preflight } from './preflight/preflight.ts'
import { writeReport } from './report/report-write.ts'
import type { ReportData } from './report/report-data.ts'
import { createRunDirs, ManifestStore, newRunId, runPaths } from './run-dir.ts'
import { closeSnapshot, snapshotStage } from './snapshot/snapshot-stage.ts'
import { stagingStage, stopStaging } from './staging/staging-stage.ts'
import { swapStage } from './swap/swap-stage.ts'
import { runStages } from './ui.ts'
import { verifySnapshotToStaging, verifyStagingToTarget } from './verify/verify-stage.ts'

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
  const driver = await driverFor(config.source.engine)
  const info = await preflight(config, driver)
  let runId = newRunId()
  for (let n = 2; existsSync(join(config.runDir, runId)); n++) runId = `${newRunId()}-${n}`
  const paths = runPaths(join(config.runDir, runId))
  createRunDirs(paths)
  const manifest = new ManifestStore(paths.manifest, {
    version: 1, runId, createdAt: new Date().toISOString(), engine: driver.engine, configFile: config.file,
    source: describeEndpoint(config.source), sourceVersion: info.source.version,
    staging: { kind: config.staging === 'ephemeral' ? 'ephemeral' : 'url' },
    target: config.target === 'in-place'
      ? { kind: 'in-place', endpoint: describeEndpoint(config.source), shadow: shadowName(config.source.database, runId) }
      : { kind: 'url', endpoint: describeEndpoint(config.target) },
    mode: options.rehearse ? 'rehearsal' : 'upgrade',
    stages: {}, tables: {}, migrated: {}, steps: [],
  })
  await manifest.save()
  const secrets = [config.source, config.staging, config.target]
    .map((e) => (typeof e === 'object' ? e.password : undefined)).filter((p): p is string => !!p)
  const ctx: RunContext = {
    config, driver, paths, manifest, log: new EventLog(paths.events, secrets), options,
    sourceWorkers: [], tables: [],
    lastTimings: lastTimings(config, runId),
  }
  const onSignal = () => { void shutdown(ctx).finally(() => process.exit(130)) }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await runHook(ctx, 'beforeSnapshot')
    await runStages(ctx, [
      { name: 'snapshot', title: 'snapshot: consistent read of production', run: snapshotStage },
      { name: 'staging', title: 'staging: standalone database with the production schema', run: stagingStage },
      { name: 'dump', title: 'dump: production tables to files', run: dumpStage },
      { name: 'load', title: 'load: files into staging', run: loadStage },
      { name: 'verify-hop1', title: 'verify-hop1: production snapshot ≡ staging', run: async (c) => { await verifySnapshotToStaging(c); await closeSnapshot(c) } },
      { name: 'migrate', title: `migrate: ${config.steps.length} step(s) on staging`, run: migrateStage },
    ])
    await runHook(ctx, 'afterMigrate')
    await confirmLoadBack(ctx)
    await runStages(ctx, [
      { name: 'loadback', title: 'loadback: migrated data into production beside the live data', run: loadbackStage },
      { name: 'verify-hop2', title: 'verify-hop2: migrated staging ≡ production copy', run: verifyStagingToTarget },
    ])
    await runHook(ctx, 'beforeSwap')
    await runStages(ctx, [
      { name: 'swap', title: swapTitle(config, options), run: swapStage },
    ])
    await manifest.update((m) => { m.verdict = 'verified' })
    await runHook(ctx, 'afterSwap')
  } catch (error) {
    const e = error instanceof DrydockError ? error : inStage('report', error)
    // A hook failing after the swap does not undo a verified upgrade: the verdict stands.
    const swapped = manifest.data.swap?.status === 'swapped'
    await manifest.update((m) => {
      if (!swapped) m.verdict = 'failed'
      m.failure = { code: e.code, message: e.message, ...(e.ctx.stage ? { stage: e.ctx.stage } : {}), ...(e.ctx.table ? { table: e.ctx.table } : {}) }
    })
    await shutdown(ctx)
    await writeReport(paths, manifest)
    await runHook(ctx, 'onFailure', { DRYDOCK_ERROR: `${e.code}: ${e.message}` }).catch((hookError: DrydockError) => {
      ctx.log.write({ kind: 'warning', stage: 'hooks', message: hookError.message })
      process.stderr.write(`warning: ${hookError.message}\n`)
    })
    if (!e.ctx.hint?.includes('(run directory: ')) Object.assign(e.ctx, { hint: `${e.ctx.hint ?? 'see the log'} (run directory: ${paths.root})` })
    throw e
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  await shutdown(ctx)
  return { report: await writeReport(paths, manifest), runDir: paths.root }
}

/** The last verified run's stage times, so progress can show ETAs for the stage and the run. */
function lastTimings(config: ParsedConfig, runId: string): { stage: StageName; ms: number }[] {
  const previous = pastRuns(config.runDir, config.file, { before: runId })[0]
  if (!previous) return []
  return Object.entries(previous.stages).filter(([, r]) => r?.ms !== undefined).map(([stage, r]) => ({ stage: stage as StageName, ms: r!.ms! }))
}

function swapTitle(config: ParsedConfig, options: RunOptions): string {
  if (config.target !== 'in-place') return 'swap: none (separate target)'
  return options.rehearse ? 'swap: rehearsal, production not swapped (shadow dropped)' : 'swap: shadow becomes live, old data kept'
}

async function shutdown(ctx: RunContext): Promise<void> {
  await closeSnapshot(ctx).catch(() => {})
  await stopStaging(ctx).catch(() => {})
  await dropFailedShadow(ctx).catch(() => {})
}

/** A shadow that never became live is half-loaded or unverified: drop it (kept with --keep-staging). */
async function dropFailedShadow(ctx: RunContext): Promise<void> {
  const { manifest, config } = ctx
  if (!manifest.data.target.shadowCreated || manifest.data.swap || ctx.options.keepStaging) return
  await ctx.driver.dropDatabase(config.source, manifest.data.target.shadow!)
  await manifest.update((m) => { m.target.shadowCreated = false })
}

async function confirmLoadBack(ctx: RunContext): Promise<void> {
  if (ctx.options.yes || ctx.options.rehearse) return
  const { config, manifest } = ctx
  const where = config.target === 'in-place'
    ? `into shadow database "${manifest.data.target.shadow}" on ${describeEndpoint(withDatabase(config.source, manifest.data.target.shadow!))} and then swap it with the live database "${config.source.database}"`
    : `into ${describeEndpoint(config.target)}`
  if (!process.stdin.isTTY) {
    throw new DrydockError('DD_CONFIRMATION_NEEDED', `about to load the migrated data ${where}, but there is no terminal to confirm it`, {
      stage: 'loadback', hint: 'rerun with --yes to confirm non-interactively',
    })
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  const answer = await prompt.question(`Staging is migrated and verified. Load the migrated data ${where}? [y/N] `)
  prompt.close()
  if (!/^y(es)?$/i.test(answer.trim())) {
    throw new DrydockError('DD_ABORTED', 'stopped before writing production, as asked', {
      stage: 'loadback', hint: 'production is untouched; rerun when ready',
    })
  }
}
