import type { ContextFor, SnapshotContext } from '../../run-state/context.ts'
import type { TableInfo } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import { withSlots } from '../../safety/faults/slots.ts'
import { addChecksums } from '../../transfer/add-checksums.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import { forEachWithSlot } from '../../util/pool.ts'
import type { RefreshPart } from '../../run-state/prestage-records.ts'
import { checksumParts, planRefreshRanges, type TableParts } from './refresh-parts.ts'

/** Per table, its column definitions and primary key: what a refresh must find unchanged. */
export async function tableDefinitions(ctx: SnapshotContext, tables: readonly TableInfo[]): Promise<Record<string, string>> {
  const columns = (await ctx.snapshot.holder.definitions(ctx.config.schemas)) ?? new Map<string, string>()
  return Object.fromEntries(tables.map((t) => [tableKey(t), `${columns.get(tableKey(t)) ?? ''} key(${t.primaryKey.join(',')})`]))
}

/**
 * The end of `--prestage`, right after hop 1 (the snapshot still open): the definitions of
 * production's tables, and each carried table cut into refresh parts whose checksums are
 * taken on staging. Hop 1 proved staging equal to the snapshot, and the parts' sums must add
 * up to hop 1's checksum: together they cover the table, so the refresh can compare
 * production with them part by part.
 */
export async function recordPrestage(ctx: ContextFor<'snapshot' | 'staging'>): Promise<void> {
  const started = Date.now()
  const { manifest } = ctx
  const definitions = await tableDefinitions(ctx, ctx.tables)
  const carried = ctx.tables.filter((t) => manifest.data.tables[tableKey(t)]?.carried)
  const parts = await withSlots(ctx, ctx.staging, ctx.options.jobs, async (slots) => {
    const planned: TableParts[] = []
    await forEachWithSlot(carried, slots, async (table, slot) => {
      planned.push({ table, ranges: await planRefreshRanges(slot, ctx, table) })
    }, ctx.signal)
    const sums = await checksumParts(ctx, planned, slots, 'staging')
    const byTable: Record<string, RefreshPart[]> = {}
    for (const { table, ranges } of planned) {
      byTable[tableKey(table)] = ranges.map((range, i) => ({ ...(range ? { range } : {}), sum: sums.get(tableKey(table))![i]! }))
    }
    return byTable
  })
  for (const table of carried) {
    const key = tableKey(table)
    const total = addChecksums(parts[key]!.map((p) => p.sum))
    const hop1 = manifest.data.tables[key]!.staging
    if (total.rows !== hop1?.rows || total.digest !== hop1.digest) {
      throw new DrydockError('DD_VERIFY_MISMATCH', `prestage: the refresh parts of ${key} add up to ${total.rows} rows (checksum ${total.digest}), hop 1 found ${hop1?.rows} (checksum ${hop1?.digest})`, {
        stage: 'verify-hop1', table: key, hint: 'something wrote to staging during the prestage; --cleanup this run and prestage again',
      })
    }
  }
  const snapshot = manifest.data.snapshot
  if (!snapshot) throw new DrydockError('DD_INTERNAL_STAGE_NEEDS', 'prestage: the manifest holds no snapshot record to prestage from', { stage: 'verify-hop1' })
  await manifest.update((m) => {
    m.prestage = { status: 'prestaged', at: new Date().toISOString(), snapshot: { ...snapshot }, definitions, parts, ms: Date.now() - started }
  })
  ctx.log.write({ kind: 'info', stage: 'verify-hop1', message: `prestaged: ${Object.values(parts).reduce((n, p) => n + p.length, 0)} refresh part(s) of ${carried.length} table(s) recorded` })
}
