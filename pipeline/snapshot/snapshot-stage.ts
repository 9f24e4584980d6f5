import type { RunContext } from '../context.ts'
import { tableKey } from '../run-dir.ts'
import { selectCarried } from './select-tables.ts'

/** Stage 1: one consistent snapshot of production, a worker per job, and the inventory. */
export async function snapshotStage(ctx: RunContext): Promise<void> {
  const { driver, config, manifest } = ctx
  ctx.snapshot = await driver.openSnapshot(config.source, ctx.options.jobs)
  for (let i = 0; i < ctx.options.jobs; i++) ctx.sourceWorkers.push(await ctx.snapshot.worker())
  const tables = await ctx.snapshot.holder.inventory(config.schemas)
  const carried = selectCarried(tables, config.include, config.exclude)
  ctx.tables = tables
  const sequences = await ctx.snapshot.holder.sequences()
  await manifest.update((m) => {
    m.snapshot = { id: ctx.snapshot!.id, position: ctx.snapshot!.position, takenAt: new Date().toISOString() }
    m.sequences = sequences
    m.tables = Object.fromEntries(tables.map((t) => [tableKey(t), {
      schema: t.schema, name: t.name, carried: carried.has(t), primaryKey: t.primaryKey, estimatedRows: t.estimatedRows, bytes: t.bytes,
    }]))
  })
  ctx.log.write({ kind: 'info', stage: 'snapshot', message: `snapshot ${ctx.snapshot.id} at ${ctx.snapshot.position}: ${tables.length} tables, ${carried.size} carried` })
}

export async function closeSnapshot(ctx: RunContext): Promise<void> {
  await ctx.snapshot?.close()
  ctx.snapshot = undefined
  ctx.sourceWorkers = []
}
