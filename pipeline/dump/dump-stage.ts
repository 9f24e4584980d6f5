import type { RunContext } from '../context.ts'
import { inStage } from '../errors.ts'
import { tableKey } from '../run-dir.ts'
import { forEachWithSlot } from '../util/pool.ts'
import { dataFileName } from './table-to-file.ts'
import { tableToFile } from './table-to-file.ts'

/** Stage 2: every carried table, as of the snapshot, into its own file; largest first. */
export async function dumpStage(ctx: RunContext): Promise<void> {
  const carried = ctx.tables.filter((t) => ctx.manifest.data.tables[tableKey(t)]?.carried)
  if (ctx.progress) {
    ctx.progress.totalTables = carried.length
    // Catalog sizes include indexes: an upper bound for the COPY text, fine for an ETA.
    ctx.progress.expectedBytes = carried.reduce((sum, t) => sum + t.bytes, 0)
  }
  await forEachWithSlot(carried, ctx.sourceWorkers, async (table, session) => {
    const key = tableKey(table)
    const started = Date.now()
    try {
      const file = dataFileName(ctx.tables.indexOf(table) + 1, table, ctx.driver.fileExtension)
      const record = await tableToFile(session, table, ctx.paths.dumpDir, file, ctx.progress)
      await ctx.manifest.update((m) => { m.tables[key]!.dump = record })
      ctx.log.write({ kind: 'table-done', stage: 'dump', table: key, rows: record.rows, bytes: record.bytes, ms: Date.now() - started })
    } catch (error) {
      throw inStage('dump', error, key)
    }
  })
}
