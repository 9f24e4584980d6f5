import { describe, expect, it } from 'vitest'
import { rehearsedSeconds } from '../../pipeline/plan/plan.ts'

describe('a plan scaled from a rehearsal of a smaller database', () => {
  it('scales the stages that move data and keeps the ones that do not grow with it', () => {
    expect(rehearsedSeconds('dump', 20_000, 4)).toBe(80)
    expect(rehearsedSeconds('loadback', 30_000, 4)).toBe(120)
    expect(rehearsedSeconds('verify-hop1', 8_000, 0.5)).toBe(4)
    // A server start and the schema, the snapshot's lock, the swap's renames: the same at any size.
    expect(rehearsedSeconds('staging', 2_250, 4)).toBe(2.25)
    expect(rehearsedSeconds('snapshot', 170, 4)).toBe(0.17)
    expect(rehearsedSeconds('swap', 180, 4)).toBe(0.18)
  })
})
