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

/**
 * Checksums of many tables over a set of sessions, keyed by `schema.table`; with `sizing`,
 * tables bigger than a part are checksummed in parts side by side (see checksumAllRetrying).
 */
export async function checksumAll(
  tables: readonly ChecksumTable[], sessions: readonly Session[], progress?: StageProgress, sizing?: PartSizing,
): Promise<Map<string, TableChecksum>> {
  const units = await checksumUnits(tables, sessions, sizing, (session, table) => planParts(session, asInfo(table), sizing!, 'pages'))
  const sums = new Map<string, TableChecksum[]>()
  await forEachWithSlot(units, sessions, async ({ table, range }, session) => {
    const tick = progress?.start(tableKey(table))
    try {
      const sum = await session.checksum(table, range)
      sums.set(tableKey(table), [...(sums.get(tableKey(table)) ?? []), sum])
      tick?.add(0, sum.rows)
      tick?.done()
    } catch (error) {
      throw inStage('verify', error, tableKey(table))
    }
  })
  return new Map([...sums].map(([key, parts]) => [key, addChecksums(parts)]))
}

interface ChecksumUnit { table: ChecksumTable; range?: PartRange; weight: number }

const asInfo = (table: ChecksumTable) => ({ ...table, bytes: table.bytes ?? 0, primaryKey: table.primaryKey ?? [], estimatedRows: 0 })

/** Every table, or its parts when it is bigger than a part: largest first. */
async function checksumUnits<S>(
  tables: readonly ChecksumTable[], slots: readonly S[], sizing: PartSizing | undefined, plan: (slot: S, table: ChecksumTable) => Promise<PartRange[]>, signal?: AbortSignal,
): Promise<ChecksumUnit[]> {
  const units: ChecksumUnit[] = []
  await forEachWithSlot(tables, slots, async (table, slot) => {
    const bytes = table.bytes ?? 0
    const ranges = sizing && bytes > sizing.partBytes ? await plan(slot, table) : []
    if (ranges.length === 0) units.push({ table, weight: bytes })
    for (const range of ranges) units.push({ table, range, weight: bytes / ranges.length })
  }, signal)
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

/**
 * Checksums over retrying slots (a transient failure redoes that part's checksum). Tables
 * bigger than the part size are checksummed in parts side by side (heap page ranges on
 * PostgreSQL, key ranges on MySQL), and the parts' digests added up: the same result as one
 * scan of the table, without one big table holding the stage up on a single core.
 */
export async function checksumAllRetrying(
  ctx: RunContext, tables: readonly ChecksumTable[], slots: readonly Slot[], side: string,
): Promise<Map<string, TableChecksum>> {
  const sizing = checksumSizing(ctx)
  const units = await checksumUnits(tables, slots, sizing, (slot, table) =>
    runUnit(ctx, `plan the checksum of ${tableKey(table)} on ${side}`, slot, { stage: 'verify', table: tableKey(table) },
      (s) => planParts(s, asInfo(table), sizing, 'pages')), ctx.signal)
  ctx.progress?.expectOn(side, units.length, units.length > tables.length ? 'parts' : 'tables')
  const sums = new Map<string, TableChecksum[]>()
  await forEachWithSlot(units, slots, async ({ table, range }, slot) => {
    const key = tableKey(table)
    const tick = ctx.progress?.start(range ? `${key} (${describePart(range)})` : key, side)
    try {
      const sum = await runUnit(ctx, `checksum ${key}${range ? ` (${describePart(range)})` : ''} on ${side}`, slot, { stage: 'verify', table: key },
        (s) => s.checksum(table, range))
      sums.set(key, [...(sums.get(key) ?? []), sum])
      tick?.add(0, sum.rows)
      tick?.done()
    } catch (error) {
      throw inStage('verify', error, key)
    }
  }, ctx.signal)
  return new Map([...sums].map(([key, parts]) => [key, addChecksums(parts)]))
}
