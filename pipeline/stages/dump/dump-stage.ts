import type { RunContext, StageContext } from '../../run-state/context.ts'
import { snapshotSlots, withSlots } from '../../safety/faults/slots.ts'
import { dropBadFiles, type MoveJob, planAllParts, resetPageSplitTables, writeParts } from '../../transfer/move-parts.ts'
import { copySizing, directMode } from '../../transfer/settings.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import { stagingDurable } from '../staging/staging-durable.ts'

/** The production tables as one move: files in dump/, loads into staging. */
const withDurable = (durable: (() => Promise<void>) | undefined) => (durable ? { durable } : {})

export function dumpJob(ctx: RunContext): MoveJob {
  const tables = ctx.tables.flatMap((info, i) => {
    const record = ctx.manifest.data.tables[tableKey(info)]
    return record?.carried ? [{ record, info, position: i + 1 }] : []
  })
  return {
    stage: 'dump', dir: ctx.paths.dumpDir, tables, resumed: ctx.resumed, fromName: 'production', toName: 'staging',
    ...withDurable(stagingDurable(ctx)),
  }
}

/**
 * Stage 3: every carried table, as of the snapshot, into files (big tables split into parts),
 * largest first. In direct mode (the default) each part also streams straight into staging as
 * it is read, and the load stage only has what is left. On resume, a file an earlier attempt
 * finished and that still hashes right is kept.
 */
export async function dumpStage(ctx: StageContext<'dump'>): Promise<void> {
  const job = dumpJob(ctx)
  const from = snapshotSlots(ctx)
  await planAllParts(ctx, job, from, copySizing(ctx))
  await dropBadFiles(ctx, job)
  if (!directMode(ctx)) {
    await writeParts(ctx, job, from)
    return
  }
  await withSlots(ctx, ctx.staging, from.length, async (to) => {
    await resetPageSplitTables(ctx, job, to[0]!)
    await writeParts(ctx, job, from, to)
  })
}
