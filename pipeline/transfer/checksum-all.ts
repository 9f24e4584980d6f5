import type { PartRange, Session, TableChecksum, TableRef } from '../drivers/driver.ts'
import { addChecksums } from './add-checksums.ts'
import { describePart, planParts, type PartSizing } from './plan-parts.ts'
import { checksumSizing } from './settings.ts'
import { inStage } from '../errors.ts'
import type { StageProgress } from '../display/progress.ts'
import { tableKey } from '../run-state/run-dir.ts'
import type { Mismatch } from '../run-state/check-records.ts'
import { forEachWithSlot } from '../util/pool.ts'
import type { RunContext } from '../run-state/context.ts'
import { runUnit, type Slot } from '../safety/faults/slots.ts'

/** A table to checksum; catalog size and key (when known) let a big one be split into parts. */
export type ChecksumTable = TableRef & { readonly bytes?: number; readonly primaryKey?: readonly string[] }

/** How a set of workers plans a table's parts and sums one part: plain sessions, or retrying slots. */
interface ChecksumWorkers<S> {
  readonly slots: readonly S[]
  plan(slot: S, table: ChecksumTable, sizing: PartSizing): Promise<PartRange[]>
  sum(slot: S, table: ChecksumTable, range: PartRange | undefined, label: string): Promise<TableChecksum>
  readonly signal?: AbortSignal
}

/**
 * Checksums of many tables over a set of sessions, keyed by `schema.table` (no retry: for
 * databases outside a run); with `sizing`, big tables are checksummed in parts side by side.
 */
export function checksumAll(
  tables: readonly ChecksumTable[], sessions: readonly Session[], progress?: StageProgress, sizing?: PartSizing,
): Promise<Map<string, TableChecksum>> {
  return checksumOver(tables, {
    slots: sessions,
    plan: (session, table, size) => planParts(session, asInfo(table), size, 'pages'),
    sum: (session, table, range) => session.checksum(table, range),
  }, sizing, progress)
}

/**
 * Checksums over a run's retrying slots (a transient failure redoes that part's checksum).
 * Tables bigger than the part size are checksummed in parts side by side (heap page ranges on
 * PostgreSQL, key ranges on MySQL), and the parts' digests added up: the same result as one
 * scan of the table, without one big table holding the stage up on a single core.
 */
export function checksumAllRetrying(
  ctx: RunContext, tables: readonly ChecksumTable[], slots: readonly Slot[], side: string,
): Promise<Map<string, TableChecksum>> {
  const context = (table: ChecksumTable) => ({ stage: 'verify' as const, table: tableKey(table) })
  return checksumOver(tables, {
    slots,
    signal: ctx.signal,
    plan: (slot, table, sizing) => runUnit(ctx, `plan the checksum of ${tableKey(table)} on ${side}`, slot, context(table),
      (session) => planParts(session, asInfo(table), sizing, 'pages')),
    sum: (slot, table, range, label) => runUnit(ctx, `checksum ${label} on ${side}`, slot, context(table), (session) => session.checksum(table, range)),
  }, checksumSizing(ctx), ctx.progress, side)
}

interface ChecksumUnit { table: ChecksumTable; range?: PartRange; weight: number }

const asInfo = (table: ChecksumTable) => ({ ...table, bytes: table.bytes ?? 0, primaryKey: table.primaryKey ?? [], estimatedRows: 0 })

async function checksumOver<S>(
  tables: readonly ChecksumTable[], workers: ChecksumWorkers<S>, sizing: PartSizing | undefined, progress?: StageProgress, side?: string,
): Promise<Map<string, TableChecksum>> {
  const units = await checksumUnits(tables, workers, sizing)
  if (side) progress?.expectOn(side, units.length, units.length > tables.length ? 'parts' : 'tables')
  const sums = new Map<string, TableChecksum[]>()
  await forEachWithSlot(units, workers.slots, async ({ table, range }, slot) => {
    const key = tableKey(table)
    const label = range ? `${key} (${describePart(range)})` : key
    const tick = progress?.start(label, side)
    try {
      const sum = await workers.sum(slot, table, range, label)
      sums.set(key, [...(sums.get(key) ?? []), sum])
      tick?.add(0, sum.rows)
      tick?.done()
    } catch (error) {
      throw inStage('verify', error, key)
    }
  }, workers.signal)
  return new Map([...sums].map(([key, parts]) => [key, addChecksums(parts)]))
}

/** Every table, or its parts when it is bigger than a part: largest first. */
async function checksumUnits<S>(tables: readonly ChecksumTable[], workers: ChecksumWorkers<S>, sizing: PartSizing | undefined): Promise<ChecksumUnit[]> {
  const units: ChecksumUnit[] = []
  await forEachWithSlot(tables, workers.slots, async (table, slot) => {
    const bytes = table.bytes ?? 0
    const ranges = sizing && bytes > sizing.partBytes ? await workers.plan(slot, table, sizing) : []
    if (ranges.length === 0) units.push({ table, weight: bytes })
    for (const range of ranges) units.push({ table, range, weight: bytes / ranges.length })
  }, workers.signal)
  return units.sort((a, b) => b.weight - a.weight)
}

export function compareChecksums(
  table: string, expected: TableChecksum | undefined, actual: TableChecksum | undefined, names: [string, string],
): Mismatch | undefined {
  if (!expected || !actual) return { table, detail: `missing on ${!expected ? names[0] : names[1]}` }
  if (expected.rows !== actual.rows) return { table, detail: `${expected.rows} rows on ${names[0]}, ${actual.rows} rows on ${names[1]}` }
  if (expected.digest !== actual.digest) return { table, detail: `same row count (${expected.rows}) but different content (checksum ${expected.digest} on ${names[0]}, ${actual.digest} on ${names[1]})` }
  return undefined
}
