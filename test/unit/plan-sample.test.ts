import { describe, expect, it } from 'vitest'
import { sampleDoubt } from '../../pipeline/plan/sample-rate.ts'

describe('read samples for --plan', () => {
  it('distrusts a sample that read too little, or one taken on a busy machine', () => {
    const quiet = { load: 0.5, cores: 2, busyBefore: 0.2 }
    expect(sampleDoubt({ bytes: 200e6, seconds: 2, whole: false, ...quiet })).toBeUndefined()
    expect(sampleDoubt({ bytes: 10_000, seconds: 2, whole: true, ...quiet })).toBeUndefined()
    expect(sampleDoubt({ bytes: 300_000, seconds: 2, whole: false, ...quiet })).toBe('only 0.3 MB came in 2.0 s')
    expect(sampleDoubt({ bytes: 200e6, seconds: 2, whole: false, load: 9.2, cores: 2, busyBefore: 4 }))
      .toBe('the machine was busy while sampling (load 9.2 on 2 cores)')
  })
})
