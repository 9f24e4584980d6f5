import type { RunContext } from '../context.ts'
import type { PartRange, TableChecksum, TableInfo } from '../drivers/driver.ts'
import { runUnit, type Slot } from '../faults/slots.ts'
import { describePart, planParts, type PartSizing } from '../parts/plan-parts.ts'
import { tableKey } from '../run-dir.ts'
import { forEachWithSlot } from '../util/pool.ts'

const REFRESH_PART_BYTES = 8 * 1024 * 1024
const MAX_REFRESH_PARTS = 1024

/**
 * How finely a prestaged table is cut for the refresh: small parts, so that a change copies
 * little again (a checksum pass over a part costs far less than copying it). 8 MiB, or an
 * eighth of --part-mb / partMB when that is set.
 */
export function refreshSizing(ctx: RunContext): PartSizing {
  const asked = ctx.options.partBytes ?? (ctx.config.partMB === undefined ? undefined : ctx.config.partMB * 1024 * 1024)
  return { partBytes: asked === undefined ? REFRESH_PART_BYTES : Math.max(1, Math.floor(asked / 8)), maxParts: MAX_REFRESH_PARTS }
}

/**
 * A table's refresh ranges: key ranges of its single integer key (each can be deleted and
 * copied again on its own), else the whole table (undefined).
 */
export async function planRefreshRanges(slot: Slot, ctx: RunContext, table: TableInfo): Promise<(PartRange | undefined)[]> {
  const ranges = await runUnit(ctx, `plan the refresh parts of ${tableKey(table)}`, slot, { stage: 'refresh', table: tableKey(table) },
    (session) => planParts(session, table, refreshSizing(ctx), 'key'))
  return ranges.length > 0 && ranges.every((r) => r.kind === 'key') ? ranges : [undefined]
}

export interface RangeUnit {
  readonly table: TableInfo
  readonly index: number
  readonly range?: PartRange
}

/** Checksums of many ranges over slots (one retry unit each), in the units' order. */
export async function checksumRanges(ctx: RunContext, units: readonly RangeUnit[], slots: readonly Slot[], side: string): Promise<TableChecksum[]> {
  const sums: TableChecksum[] = new Array(units.length)
  const order = units.map((unit, i) => ({ unit, i }))
  await forEachWithSlot(order, slots, async ({ unit, i }, slot) => {
    const key = tableKey(unit.table)
    sums[i] = await runUnit(ctx, `checksum ${key} (${describePart(unit.range)}) on ${side}`, slot, { stage: 'refresh', table: key },
      (session) => session.checksum(unit.table, unit.range))
    ctx.progress?.start(key)?.done()
  }, ctx.signal)
  return sums
}
