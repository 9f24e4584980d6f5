import type { Session, TableChecksum, TableRef } from '../drivers/driver.ts'
import { inStage } from '../errors.ts'
import type { StageProgress } from '../progress.ts'
import { tableKey } from '../run-dir.ts'
import { forEachWithSlot } from '../util/pool.ts'
import type { RunContext } from '../context.ts'
import { runUnit, type Slot } from '../faults/slots.ts'

/** Checksums of many tables over a set of sessions, keyed by `schema.table`. */
export async function checksumAll(
  tables: readonly TableRef[], sessions: readonly Session[], progress?: StageProgress,
): Promise<Map<string, TableChecksum>> {
  const results = new Map<string, TableChecksum>()
  await forEachWithSlot(tables, sessions, async (table, session) => {
    const tick = progress?.start(tableKey(table))
    try {
      const sum = await session.checksum(table)
      results.set(tableKey(table), sum)
      tick?.add(0, sum.rows)
      tick?.done()
    } catch (error) {
      throw inStage('verify', error, tableKey(table))
    }
  })
  return results
}

export interface Mismatch {
  table: string
  detail: string
}

export function compareChecksums(
  table: string, expected: TableChecksum | undefined, actual: TableChecksum | undefined, names: [string, string],
): Mismatch | undefined {
  if (!expected || !actual) return { table, detail: `missing on ${!expected ? names[0] : names[1]}` }
  if (expected.rows !== actual.rows) return { table, detail: `${expected.rows} rows on ${names[0]}, ${actual.rows} rows on ${names[1]}` }
  if (expected.digest !== actual.digest) return { table, detail: `same row count (${expected.rows}) but different content (checksum ${expected.digest} on ${names[0]}, ${actual.digest} on ${names[1]})` }
  return undefined
}

/** Checksums over retrying slots (a transient failure redoes that table's checksum). */
export async function checksumAllRetrying(
  ctx: RunContext, tables: readonly TableRef[], slots: readonly Slot[], side: string,
): Promise<Map<string, TableChecksum>> {
  const results = new Map<string, TableChecksum>()
  await forEachWithSlot(tables, slots, async (table, slot) => {
    const key = tableKey(table)
    const tick = ctx.progress?.start(key)
    try {
      const sum = await runUnit(ctx, `checksum ${key} on ${side}`, slot, { stage: 'verify', table: key }, (s) => s.checksum(table))
      results.set(key, sum)
      tick?.add(0, sum.rows)
      tick?.done()
    } catch (error) {
      throw inStage('verify', error, key)
    }
  }, ctx.signal)
  return results
}
