import type { RunContext, StageContext } from '../run-state/context.ts'
import { stageContext } from '../run-state/stage-context.ts'
import type { HookPoint } from '../migration/hooks/hook-points.ts'
import { restoreCheckpoint, saveCheckpoint, stagingHalfMigrated } from '../stages/checkpoint/checkpoint.ts'
import { runHook } from '../migration/hooks/run-hook.ts'
import { loadbackStage } from '../stages/loadback/loadback-stage.ts'
import { loadStage } from '../stages/load/load-stage.ts'
import { dumpStage } from '../stages/dump/dump-stage.ts'
import { migrateStage } from '../stages/migrate/migrate-stage.ts'
import { recordPrestage } from '../stages/refresh/record-prestage.ts'
import { refreshStage } from '../stages/refresh/refresh-stage.ts'
import { closeSnapshot, resumeSnapshot, snapshotStage } from '../stages/snapshot/snapshot-stage.ts'
import { attachStaging, stagingStage } from '../stages/staging/staging-stage.ts'
import { rehearsalCopyEndpoint } from '../stages/loadback/rehearsal-target.ts'
import { type RunStageName, runOrder, stageTitle } from '../stages.ts'
import { inPlaceCopy } from '../stages/loadback/copy-target.ts'
import { takeShadowFence } from '../stages/swap/shadow-fence.ts'
import { swapStage } from '../stages/swap/swap-stage.ts'
import { runStages, type StageSpec } from '../display/ui.ts'
import { verifySnapshotToStaging, verifyStagingToTarget } from '../stages/verify/verify-stage.ts'
import { confirmLoadBack } from './confirm-load-back.ts'

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
export async function runStageTable(ctx: RunContext): Promise<void> {
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

