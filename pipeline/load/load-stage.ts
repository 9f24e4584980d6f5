import { withSessions, type RunContext } from '../context.ts'
import { inStage, isDrydockError } from '../errors.ts'
import { tableKey } from '../run-dir.ts'
import { copySchemaSection } from '../schema/schema-copy.ts'
import { forEachWithSlot } from '../util/pool.ts'
import { runUnit, withSlots } from '../faults/slots.ts'
import { fileToTable } from './file-to-table.ts'

/** Stage 5: dump files into staging, then indexes and constraints, sequences, statistics. */
export async function loadStage(ctx: RunContext): Promise<void> {
  const staging = ctx.staging!
  // Each table commits on its own; a resumed run loads only the ones not committed yet.
  const records = Object.values(ctx.manifest.data.tables).filter((t) => t.dump && !t.loaded)
  if (ctx.progress) {
    ctx.progress.totalTables = records.length
    ctx.progress.expectedBytes = records.reduce((sum, r) => sum + r.dump!.bytes, 0)
  }
  await withSlots(ctx, staging, ctx.options.jobs, async (slots) => {
    await forEachWithSlot(records, slots, async (record, slot) => {
      const started = Date.now()
      try {
        const rows = await runUnit(ctx, `load ${tableKey(record)}`, slot, { stage: 'load', table: tableKey(record) },
          (session) => fileToTable(session, record, ctx.paths.dumpDir, record.dump!, ctx.progress))
        await ctx.manifest.update((m) => { m.tables[tableKey(record)]!.loaded = true })
        ctx.log.write({ kind: 'table-done', stage: 'load', table: tableKey(record), rows, bytes: record.dump!.bytes, ms: Date.now() - started })
      } catch (error) {
        if (isDrydockError(error) && error.code === 'DD_DUMP_CORRUPT') await forgetDump(ctx, tableKey(record))
        throw inStage('load', error, tableKey(record))
      }
    }, ctx.signal)
  })
  if (!ctx.manifest.data.stagingPostData) {
    await copySchemaSection(ctx, ctx.config.source, staging, 'post-data', 'source', ctx.snapshot!.id)
    await ctx.manifest.update((m) => { m.stagingPostData = true })
  }
  await withSessions(ctx, staging, 1, async ([session]) => {
    await session!.setSequences(ctx.manifest.data.sequences ?? [])
    await session!.analyze(ctx.tables)
  })
}

/** A dump file that no longer matches its hash is dumped again by the next --resume. */
async function forgetDump(ctx: RunContext, key: string): Promise<void> {
  await ctx.manifest.update((m) => {
    delete m.tables[key]!.dump
    delete m.stages.dump
  })
}
