import type { RunContext } from '../../run-state/context.ts'
import type { PartRange, TableChecksum, TableRef } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import { runPairUnit, type Slot } from '../../safety/faults/slots.ts'
import { describePart } from '../../transfer/plan-parts.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import { Rebatch } from '../../transfer/rebatch.ts'

/**
 * Copies one refresh part (a key range, or the whole table) from the new snapshot into
 * staging again, in one transaction: its rows on staging are deleted and production's loaded,
 * with triggers and foreign-key checks off (staging's tables have both). Then staging's
 * checksum of the part, to be compared with production's (the proof of hop 1 for that part).
 */
export async function copyAgain(
  ctx: RunContext, pair: readonly [Slot, Slot], table: TableRef, range: PartRange | undefined,
): Promise<{ rows: number; staging: TableChecksum }> {
  const key = tableKey(table)
  return runPairUnit(ctx, `copy ${key} (${describePart(range)}) again from production into staging`, pair, { stage: 'refresh', table: key },
    async ([reader, writer]) => {
      await writer!.suspendChecks?.()
      const source = await reader!.readTable(table, range)
      // The writer opens its transaction before it pipes the rows (see copy-direct.ts).
      source.stream.on('error', () => {})
      const rows = await writer!.writeTable(table, source.stream, [new Rebatch()], {
        ...(range ? { part: { range, clear: true } } : { emptyWithDelete: true }),
        beforeCommit: (taken) => {
          if (taken !== source.rows()) {
            throw new DrydockError('DD_LOAD_COUNT_MISMATCH', `refresh: staging took ${taken} rows of ${key} (${describePart(range)}), production sent ${source.rows()}`, {
              table: key, hint: 'the part was rolled back; rerun with --resume',
            })
          }
        },
      })
      return { rows, staging: await writer!.checksum(table, range) }
    })
}
