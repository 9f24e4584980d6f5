import type { RunContext } from '../context.ts'
import { inStage } from '../errors.ts'
import { tableKey } from '../run-dir.ts'
import { forEachWithSlot } from '../util/pool.ts'
import { runUnit, snapshotSlots } from '../faults/slots.ts'
import { fileStillGood } from './file-check.ts'
import { dataFileName, tableToFile } from './table-to-file.ts'

/**
 * Stage 2: every carried table, as of the snapshot, into its own file; largest first. On
 * resume, a file an earlier attempt finished and that still hashes right is kept.
 */
export async function dumpStage(ctx: RunContext): Promise<void> {
  const carried: typeof ctx.tables = []
  for (const table of ctx.tables) {
    const record = ctx.manifest.data.tables[tableKey(table)]
    if (!record?.carried) continue
    if (ctx.resumed && await fileStillGood(ctx.paths.dumpDir, record.dump)) {
      ctx.log.write({ kind: 'info', stage: 'dump', message: `skipping ${tableKey(table)}: dumped and intact from a previous attempt` })
      continue
    }
    carried.push(table)
  }
  if (ctx.progress) {
    ctx.progress.totalTables = carried.length
    // Catalog sizes include indexes: an upper bound for the COPY text, fine for an ETA.
    ctx.progress.expectedBytes = carried.reduce((sum, t) => sum + t.bytes, 0)
  }
  await forEachWithSlot(carried, snapshotSlots(ctx), async (table, slot) => {
    const key = tableKey(table)
    const started = Date.now()
    try {
      const file = dataFileName(ctx.tables.indexOf(table) + 1, table, ctx.driver.fileExtension)
      const record = await runUnit(ctx, `dump ${key}`, slot, { stage: 'dump', table: key },
        (session) => tableToFile(session, table, ctx.paths.dumpDir, file, ctx.progress))
      await ctx.manifest.update((m) => { m.tables[key]!.dump = record; m.tables[key]!.loaded = false })
      ctx.log.write({ kind: 'table-done', stage: 'dump', table: key, rows: record.rows, bytes: record.bytes, ms: Date.now() - started })
    } catch (error) {
      throw inStage('dump', error, key)
    }
  }, ctx.signal)
}
