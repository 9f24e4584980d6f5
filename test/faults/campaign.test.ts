/**
 * The fault campaign on both engines (test/faults/campaign.ts): a few points from a fixed seed in
 * `npm test`; `npm run faults` runs every stage twice, on URL and ephemeral staging.
 * DRYDOCK_FAULT_SEED picks another campaign.
 */
import { writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { removeTempDirs } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engines.ts'
import { type FaultOutcome, faultPoints, runFault } from './campaign.ts'

const SEED = Number(process.env.DRYDOCK_FAULT_SEED ?? 20261203)
const LONG = process.env.DRYDOCK_FAULTS === 'long'
const outcomes: FaultOutcome[] = []

describe.each(ENGINES)('fault campaign on $name', (engine) => {
  const prefix = engine.uniquePrefix('camp')
  afterAll(async () => {
    await engine.dropWithPrefix(prefix)
    removeTempDirs()
    if (process.env.DRYDOCK_FAULT_REPORT) writeFileSync(process.env.DRYDOCK_FAULT_REPORT, `${JSON.stringify(outcomes, null, 2)}\n`)
  })

  it.each(faultPoints(SEED, LONG).map((point, index) => ({ ...point, index })))(
    '$kind at $stage (after $afterTables table(s), $staging staging): resumed to the in-place result, nothing lost',
    async ({ index, ...point }) => {
      const outcome = await runFault(engine, prefix, point, index)
      outcomes.push(outcome)
      expect(outcome.rowsLost).toBe(0)
      expect(outcome.rowsDuplicated).toBe(0)
    },
    LONG ? 600_000 : 240_000,
  )
})
