import { withSessions, type RunContext, type StageContext } from '../../run-state/context.ts'
import { dumpJob } from '../dump/dump-stage.ts'
import { withSlots } from '../../safety/faults/slots.ts'
import { loadParts, resetPageSplitTables } from '../../transfer/move-parts.ts'
import { copySchemaSection } from '../schema/schema-copy.ts'
import type { Endpoint } from '../../config/endpoint.ts'

/**
 * Stage 4: the dump files not loaded yet into staging (all of them without direct mode; after
 * a resume, those of parts that did not commit), then indexes and constraints, sequences,
 * statistics. Each part commits on its own.
 */
export async function loadStage(ctx: StageContext<'load'>): Promise<void> {
  const staging = ctx.staging
  const job = { ...dumpJob(ctx), stage: 'load' as const }
  await withSlots(ctx, staging, ctx.options.jobs, async (slots) => {
    await resetPageSplitTables(ctx, job, slots[0]!)
    await loadParts(ctx, job, slots)
  })
  if (!ctx.manifest.data.stagingPostData && ctx.resumed && await postDataApplied(ctx, staging)) {
    ctx.log.write({ kind: 'info', stage: 'load', message: 'staging already has its indexes and constraints (applied before the run stopped)' })
    await ctx.manifest.update((m) => { m.stagingPostData = true })
  }
  if (!ctx.manifest.data.stagingPostData) {
    await copySchemaSection(ctx, ctx.config.source, staging, 'post-data', 'source', ctx.snapshot.id)
    await ctx.manifest.update((m) => { m.stagingPostData = true })
  }
  await withSessions(ctx, staging, 1, async (sessions) => {
    await sessions[0]!.setSequences(ctx.manifest.data.sequences ?? [])
    await sessions[0]!.analyze(ctx.tables)
  })
}

/** A run killed after the post-data transaction committed, before the manifest said so. */
async function postDataApplied(ctx: RunContext, staging: Endpoint): Promise<boolean> {
  return withSessions(ctx, staging, 1, async ([session]) => (await session!.hasPostData?.(ctx.config.schemas)) ?? false)
}
