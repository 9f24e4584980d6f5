import { required } from '../../drivers/capability.ts'
import type { Driver } from '../../drivers/driver.ts'
import { type Endpoint, withDatabase } from '../../config/endpoint.ts'
import type { Manifest, ManifestStore } from '../../run-state/run-dir.ts'

/**
 * A run killed during its swap has `swap.status: 'swapping'` (the intent, written before the
 * rename). Asks the server which side of the rename production is on and completes the
 * record (swapped: --rollback and --cleanup work on it) or clears it (not swapped: --resume
 * swaps again). Call it before anything reads `manifest.data.swap`. Returns the settled record.
 */
export async function settleInterruptedSwap(driver: Driver, source: Endpoint, manifest: ManifestStore): Promise<Manifest['swap']> {
  const swap = manifest.data.swap
  if (swap?.status !== 'swapping') return swap
  if (swap.schemas) {
    // Schema swap: one transaction; the parked keys were recorded with the intent, inside it.
    const { swapped } = await required(driver, 'schemaSwap').side(source, { moves: swap.schemas, keep: [] })
    await manifest.update((m) => {
      if (!swapped) { delete m.swap; return }
      m.target.backup = swap.backup
      m.swap = { status: 'swapped', at: swap.at, live: swap.live, backup: swap.backup, schemas: swap.schemas, ...(swap.parked?.length ? { parked: swap.parked } : {}) }
    })
    return manifest.data.swap
  }
  const side = await driver.swapSide(source, swap.shadow!, swap.backup)
  if (side.swapped) {
    await manifest.update((m) => {
      m.target.backup = swap.backup
      m.swap = { status: 'swapped', at: swap.at, live: swap.live, backup: swap.backup, ...(side.note ? { note: side.note } : {}) }
    })
  } else {
    // MySQL creates the (empty) backup database before its rename.
    if (await driver.databaseExists(source, swap.backup) && await driver.isEmpty(withDatabase(source, swap.backup))) {
      await driver.dropDatabase(source, swap.backup)
    }
    await manifest.update((m) => { delete m.swap })
  }
  return manifest.data.swap
}
