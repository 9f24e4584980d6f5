import { required } from '../../drivers/capability.ts'
import type { RunContext } from '../../run-state/context.ts'
import type { PartRange, TableChecksum, TableInfo } from '../../drivers/driver.ts'
import { runUnit, type Slot } from '../../safety/faults/slots.ts'
import { addChecksums } from '../../transfer/add-checksums.ts'
import { describePart, planParts, type PartSizing } from '../../transfer/plan-parts.ts'
import { checksumSizing } from '../../transfer/settings.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import { forEachWithSlot } from '../../util/pool.ts'

const REFRESH_PART_BYTES = 2 * 1024 * 1024
const MAX_REFRESH_PARTS = 4096

/**
 * How finely a prestaged table is cut for the refresh: small parts, so that a change copies
 * little again (a checksum of a key range is an index range scan, far cheaper than copying
 * it). 2 MiB, or an eighth of --part-mb / partMB when that is set.
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

/** A table and its refresh ranges (undefined: the whole table). */
export interface TableParts {
  readonly table: TableInfo
  readonly ranges: readonly (PartRange | undefined)[]
}

interface ScanUnit {
  readonly parts: TableParts
  /** One range's checksum, or (engines with checksumKeyRanges) every range's, within these heap pages. */
  readonly range?: PartRange
  readonly within?: PartRange
  readonly scan: boolean
}

/**
 * Every table's refresh parts checksummed, keyed `schema.table`, one sum per range in order.
 * Where the engine checksums key ranges in one scan (PostgreSQL: an index scan per range reads
 * the heap out of order), a table is scanned once, or in heap-page chunks side by side as hop 1
 * does, and each row counted in its range; elsewhere (MySQL: the key is the clustered index)
 * each range is its own query.
 */
export async function checksumParts(ctx: RunContext, tables: readonly TableParts[], slots: readonly Slot[], side: string): Promise<Map<string, TableChecksum[]>> {
  const buckets = Boolean(slots[0]?.session.checksumKeyRanges)
  const units: ScanUnit[] = []
  await forEachWithSlot(tables, slots, async (parts, slot) => {
    if (!buckets || parts.ranges.length < 2) {
      for (const range of parts.ranges) units.push({ parts, ...(range ? { range } : {}), scan: false })
      return
    }
    const chunks = await runUnit(ctx, `plan the checksum of ${tableKey(parts.table)} on ${side}`, slot, { stage: 'refresh', table: tableKey(parts.table) },
      (session) => planParts(session, parts.table, checksumSizing(ctx), 'pages'))
    for (const within of chunks.length > 0 ? chunks : [undefined]) units.push({ parts, ...(within ? { within } : {}), scan: true })
  }, ctx.signal)
  const sums = new Map<string, TableChecksum[][]>(tables.map((t) => [tableKey(t.table), t.ranges.map(() => [])]))
  await forEachWithSlot(units, slots, async (unit, slot) => {
    const key = tableKey(unit.parts.table)
    const what = unit.scan ? (unit.within ? `${describePart(unit.within)}, by key range` : 'by key range') : describePart(unit.range)
    const found = await runUnit(ctx, `checksum ${key} (${what}) on ${side}`, slot, { stage: 'refresh', table: key }, async (session) => (unit.scan
      ? required(session, 'checksumKeyRanges')(unit.parts.table, unit.parts.ranges as PartRange[], unit.within)
      : [await session.checksum(unit.parts.table, unit.range)]))
    const lists = sums.get(key)!
    if (unit.scan) found.forEach((sum, i) => lists[i]!.push(sum))
    else lists[unit.parts.ranges.indexOf(unit.range)]!.push(found[0]!)
    ctx.progress?.start(key)?.done()
  }, ctx.signal)
  return new Map([...sums].map(([key, lists]) => [key, lists.map((list) => addChecksums(list))]))
}
