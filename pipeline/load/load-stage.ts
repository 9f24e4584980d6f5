import { withSessions, type RunContext } from '../context.ts'
import { inStage } from '../errors.ts'
import { tableKey } from '../run-dir.ts'
import { copySchemaSection } from '../schema/schema-copy.ts'
import { forEachWithSlot } from '../util/pool.ts'
import { fileToTable } from './file-to-table.ts'

/** Stage 5: dump files into staging, then indexes and constraints, sequences, statistics. */
export async function loadStage(ctx: RunContext): Promise<void> {
  const staging = ctx.staging!
  const records = Object.values(ctx.manifest.data.tables).filter((t) => t.dump)
  if (ctx.progress) {
    ctx.progress.totalTables = records.length
    ctx.progress.expectedBytes = records.reduce((sum, r) => sum + r.dump!.bytes, 0)
  }
  await withSessions(ctx, staging, ctx.options.jobs, async (sessions) => {
    await forEachWithSlot(records, sessions, async (record, session) => {
      const started = Date.now()
      try {
        const rows = await fileToTable(session, record, ctx.paths.dumpDir, record.dump!, ctx.progress)
        ctx.log.write({ kind: 'table-done', stage: 'load', table: tableKey(record), rows, bytes: record.dump!.bytes, ms: Date.now() - started })
      } catch (error) {
        throw inStage('load', error, tableKey(record))
      }
    })
  })
  await copySchemaSection(ctx, ctx.config.source, staging, 'post-data', 'source', ctx.snapshot!.id)
  await withSessions(ctx, staging, 1, async ([session]) => {
    await session!.setSequences(ctx.manifest.data.sequences ?? [])
    await session!.analyze(ctx.tables)
  })
}
