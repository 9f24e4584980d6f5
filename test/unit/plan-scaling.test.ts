import { describe, expect, it } from 'vitest'
import { rehearsedSeconds } from '../../pipeline/plan/plan.ts'
import type { ParsedConfig } from '../../pipeline/config/config.ts'
import { liveCopyShare, loadbackEstimate } from '../../pipeline/plan/loadback-basis.ts'
import type { Manifest } from '../../pipeline/run-state/run-dir.ts'

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

describe('the load back a plan expects after a rehearsal', () => {
  const rehearsal = {
    mode: 'rehearsal', runId: 'r1', target: { kind: 'in-place', rehearsal: { kind: 'staging' } }, staging: { kind: 'url', endpoint: 'staging' },
    migrated: {
      'public.changed': { schema: 'public', name: 'changed', bytes: 100 },
      'public.same': { schema: 'public', name: 'same', bytes: 300 },
      'public.new': { schema: 'public', name: 'new', bytes: 100 },
    },
    carryOver: [{ table: 'public.changed', status: 'data-changed' }, { table: 'public.same', status: 'unchanged' }],
  } as unknown as Manifest
  const config = (over: Partial<ParsedConfig> = {}) => ({ target: 'in-place', keepLive: true, hooks: {}, ...over }) as unknown as ParsedConfig

  it('counts only the tables an in-place upgrade copies: the rehearsal copied the unchanged ones too', () => {
    const copy = liveCopyShare(rehearsal, config(), true)
    expect(copy.share).toBeCloseTo(0.4)
    expect(copy.note).toContain('keeps the 1 it left unchanged live')
    expect(loadbackEstimate(rehearsal, config(), 2, 50, copy).seconds).toBeCloseTo(20)
  })

  it('counts every table where the upgrade copies every table', () => {
    expect(liveCopyShare(rehearsal, config({ keepLive: false }), true).share).toBe(1)
    expect(liveCopyShare(rehearsal, config({ target: { engine: 'postgres' } } as never), true).share).toBe(1)
    expect(liveCopyShare(rehearsal, config({ hooks: { afterMigrate: 'x' } } as never), true).share).toBe(1)
    expect(liveCopyShare(rehearsal, config(), false).share).toBe(1)
    // A real run already copied only what it had to.
    expect(liveCopyShare({ ...rehearsal, mode: 'upgrade' } as Manifest, config(), true).share).toBe(1)
  })
})
