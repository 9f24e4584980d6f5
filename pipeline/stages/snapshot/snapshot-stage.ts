import { track, type RunContext } from '../../run-state/context.ts'
import type { Snapshot, TableInfo } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import { stagesNeeding } from '../../stages.ts'
import { takeFence } from '../../safety/fence/fence.ts'
import { selectCarried } from './select-tables.ts'

/** Stage 1: one consistent snapshot of production, a worker per job, and the inventory. */
export async function snapshotStage(ctx: RunContext): Promise<void> {
  const { config, manifest } = ctx
  // The fence is taken before the snapshot: a write in between is reported (safe), never missed.
  const listing = track(ctx, await ctx.driver.connect(config.source))
  const listed = await listing.inventory(config.schemas).finally(() => listing.close())
  const fence = await takeFence(ctx.driver, config.source, listed, { ...(config.schemas ? { schemas: config.schemas } : {}) })
  await manifest.update((m) => { m.fence = fence })
  const { snapshot } = await openSourceSnapshot(ctx)
  const tables = await snapshot.holder.inventory(config.schemas)
  const carried = selectCarried(tables, config.include, config.exclude)
  ctx.tables = tables
  const sequences = await snapshot.holder.sequences()
  const fingerprint = await snapshot.holder.fingerprint(config.schemas)
  await manifest.update((m) => {
    m.snapshot = { id: snapshot.id, position: snapshot.position, takenAt: new Date().toISOString(), fingerprint }
    m.sequences = sequences
    m.tables = Object.fromEntries(tables.map((t) => [tableKey(t), {
      schema: t.schema, name: t.name, carried: carried.has(t), primaryKey: t.primaryKey, estimatedRows: t.estimatedRows, bytes: t.bytes,
    }]))
  })
  ctx.log.write({ kind: 'info', stage: 'snapshot', message: `snapshot ${snapshot.id} at ${snapshot.position}: ${tables.length} tables, ${carried.size} carried` })
}

/**
 * Resume: the tables come from the manifest. While production is still to be read (dump,
 * load's post-data, hop 1), a new snapshot is taken, and the schema must be the one the run
 * began with. Rows written since the first snapshot cannot slip through: hop 1 compares
 * staging with production as of this new snapshot.
 */
export async function resumeSnapshot(ctx: RunContext): Promise<void> {
  const { manifest, config } = ctx
  ctx.tables = Object.values(manifest.data.tables).map((t): TableInfo => ({
    schema: t.schema, name: t.name, estimatedRows: t.estimatedRows, bytes: t.bytes, primaryKey: t.primaryKey,
  }))
  const readers = stagesNeeding('snapshot', { prestaged: manifest.data.prestage !== undefined })
  if (readers.every((stage) => manifest.data.stages[stage]?.status === 'done')) return
  const opened = (await openSourceSnapshot(ctx)).snapshot
  const fingerprint = await opened.holder.fingerprint(config.schemas)
  if (manifest.data.snapshot?.fingerprint && fingerprint !== manifest.data.snapshot.fingerprint) {
    throw new DrydockError('DD_RESUME_SCHEMA_CHANGED', 'the production schema changed since this run began (tables, columns, constraints, indexes or views differ)', {
      stage: 'snapshot', hint: 'a resumed run cannot mix two schemas: start a new run',
    })
  }
  const snapshot = { id: opened.id, position: opened.position }
  const sequences = await opened.holder.sequences()
  await manifest.update((m) => {
    m.resumes!.at(-1)!.snapshot = snapshot
    m.sequences = sequences
  })
  ctx.log.write({ kind: 'info', stage: 'snapshot', message: `resumed: new snapshot ${snapshot.id} at ${snapshot.position}` })
}

/** Opens the snapshot of production and its workers; returns the same context, its snapshot set. */
export async function openSourceSnapshot<C extends RunContext>(ctx: C): Promise<C & { snapshot: Snapshot }> {
  const snapshot = await ctx.driver.openSnapshot(ctx.config.source, ctx.options.jobs)
  const opened = Object.assign(ctx, { snapshot })
  track(ctx, snapshot.holder)
  for (let i = 0; i < ctx.options.jobs; i++) ctx.sourceWorkers.push(track(ctx, await snapshot.worker()))
  return opened
}

export async function closeSnapshot(ctx: RunContext): Promise<void> {
  for (const worker of ctx.sourceWorkers) ctx.openSessions.delete(worker)
  if (ctx.snapshot) ctx.openSessions.delete(ctx.snapshot.holder)
  await ctx.snapshot?.close()
  ctx.snapshot = undefined
  ctx.sourceWorkers = []
}
