/** compareFence's rules on readings built by hand: what is a write, what only a checksum can settle. */
import { describe, expect, it } from 'vitest'
import type { FenceMarks, TableMarks } from '../../pipeline/safety/fence/fence-types.ts'
import { compareFence } from '../../pipeline/safety/fence/fence.ts'

const T = { schema: 'db', name: 't' }
const marks = (table: Partial<TableMarks>, over: Partial<FenceMarks> = {}): FenceMarks => ({
  engine: 'mysql', at: '2030-01-01 10:00:00.500000', uptimeSeconds: 1000, epoch: '', position: 'binlog off',
  tables: { 'db.t': { exists: true, exact: {}, counters: {}, ...table } }, allTables: ['db.t'], notes: [], ...over,
})
const later = (table: Partial<TableMarks>, over: Partial<FenceMarks> = {}) =>
  marks(table, { at: '2030-01-01 10:05:00.000000', uptimeSeconds: 1300, ...over })

describe('compareFence', () => {
  it('equal marks: unchanged', () => {
    const r = compareFence(marks({ exact: { id: '1' }, counters: { n: '5' }, lastWrite: '2030-01-01 09:00:00' }),
      later({ exact: { id: '1' }, counters: { n: '5' }, lastWrite: '2030-01-01 09:00:00' }), [T])
    expect(r).toEqual({ written: [], uncertain: [], unchanged: ['db.t'] })
  })

  it('a counter that grew, an exact mark that changed, a dropped table: written', () => {
    expect(compareFence(marks({ counters: { n: '5' } }), later({ counters: { n: '6' } }), [T]).written).toEqual([{ table: 'db.t', detail: 'n 5 → 6' }])
    expect(compareFence(marks({ exact: { id: '1' } }), later({ exact: { id: '2' } }), [T]).written).toEqual([{ table: 'db.t', detail: 'id 1 → 2' }])
    expect(compareFence(marks({}), later({ exists: false }), [T]).written).toEqual([{ table: 'db.t', detail: 'dropped or renamed' }])
  })

  it('last write: a new time is a write; the same time in the fence\'s own second too; a forgotten one is uncertain', () => {
    expect(compareFence(marks({ lastWrite: null }), later({ lastWrite: '2030-01-01 10:01:00' }), [T]).written)
      .toEqual([{ table: 'db.t', detail: 'last write unknown → 2030-01-01 10:01:00' }])
    expect(compareFence(marks({ lastWrite: '2030-01-01 10:00:00' }), later({ lastWrite: '2030-01-01 10:00:00' }), [T]).written)
      .toEqual([{ table: 'db.t', detail: 'last write at 2030-01-01 10:00:00, the second of the fence itself' }])
    expect(compareFence(marks({ lastWrite: '2030-01-01 09:00:00' }), later({ lastWrite: null }), [T]).uncertain)
      .toEqual([{ table: 'db.t', detail: 'last write time 2030-01-01 09:00:00 forgotten since (the table left the cache, or the server restarted)' }])
  })

  it('a counter that went down, changed statistics, a restart, a statistics reset, a doubt of the driver: uncertain', () => {
    expect(compareFence(marks({ counters: { n: '5' } }), later({ counters: { n: '0' } }), [T]).uncertain[0]!.detail).toBe('n went down (5 → 0): counters were reset')
    expect(compareFence(marks({ soft: { rows: '10' } }), later({ soft: { rows: '0' } }), [T]).uncertain[0]!.detail).toBe('statistics changed (rows 10 → 0)')
    expect(compareFence(marks({}), later({}, { uptimeSeconds: 10 }), [T]).uncertain[0]!.detail)
      .toBe('the server restarted since the fence (up 10 s, fence 300 s ago): in-memory marks were lost')
    expect(compareFence(marks({}, { epoch: 'a' }), later({}, { epoch: 'b' }), [T]).uncertain[0]!.detail).toBe('statistics were reset since the fence (a → b)')
    expect(compareFence(marks({ uncertain: 'no time known' }), later({ uncertain: 'no time known' }), [T]).uncertain[0]!.detail).toBe('no time known')
  })

  it('evidence of a write wins over doubts; new tables are writes', () => {
    const r = compareFence(marks({ counters: { n: '5' }, soft: { rows: '1' } }), later({ counters: { n: '9' }, soft: { rows: '2' } }, { allTables: ['db.t', 'db.new'] }), [T])
    expect(r.written).toEqual([{ table: 'db.t', detail: 'n 5 → 9' }, { table: 'db.new', detail: 'table created after the fence' }])
    expect(r.uncertain).toEqual([])
  })
})
