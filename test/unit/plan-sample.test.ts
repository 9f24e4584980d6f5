import { describe, expect, it } from 'vitest'
import { sampleDoubt, sampledTables } from '../../pipeline/plan/sample-rate.ts'

describe('read samples for --plan', () => {
  it('distrusts a sample that read too little, or one taken on a busy machine', () => {
    const quiet = { load: 0.5, cores: 2, busyBefore: 0.2 }
    expect(sampleDoubt({ bytes: 200e6, seconds: 2, whole: false, ...quiet })).toBeUndefined()
    expect(sampleDoubt({ bytes: 10_000, seconds: 2, whole: true, ...quiet })).toBeUndefined()
    expect(sampleDoubt({ bytes: 300_000, seconds: 2, whole: false, ...quiet })).toBe('only 0.3 MB came in 2.0 s')
    expect(sampleDoubt({ bytes: 200e6, seconds: 2, whole: false, load: 9.2, cores: 2, busyBefore: 4 }))
      .toBe('the machine was busy while sampling (load 9.2 on 2 cores)')
  })

  it('reads the largest tables side by side, one per worker, and the largest again when the rest are small', () => {
    const t = (name: string, bytes: number) => ({ schema: 's', name, bytes, estimatedRows: 0, primaryKey: [] })
    const names = (tables: { name: string }[]) => tables.map((x) => x.name)
    const carried = [t('small', 5), t('big', 1000), t('mid', 400), t('tiny', 1)]
    expect(names(sampledTables(carried, 2))).toEqual(['big', 'mid'])
    // Tables under a tenth of the largest say little about the bulk of the copy.
    expect(names(sampledTables(carried, 4))).toEqual(['big', 'mid', 'big', 'mid'])
    expect(names(sampledTables([t('only', 10)], 3))).toEqual(['only', 'only', 'only'])
    expect(sampledTables([], 2)).toEqual([])
  })
})
