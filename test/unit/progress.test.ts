import { afterEach, describe, expect, it, vi } from 'vitest'
import { fileTicker, StageProgress, streamTicker } from '../../pipeline/display/progress.ts'

afterEach(() => { vi.useRealTimers() })

describe('stage progress', () => {
  it('shows totals, the tables under way and an ETA from the measured speed', () => {
    vi.useFakeTimers({ now: 0 })
    const progress = new StageProgress(3)
    progress.expectedBytes = 400e6
    progress.laterMs = 60_000
    const table = progress.start('public.patch')
    vi.setSystemTime(10_000)
    table.add(100e6, 5000)
    expect(progress.render()).toBe(
      '0/3 tables · 5,000 rows · 100.0 MB · 10.0 MB/s · ETA 30s (run 1m30s) │ public.patch 5,000 rows 10.0 MB/s')
  })

  it('falls back to last time\'s duration for a stage that moves no bytes', () => {
    vi.useFakeTimers({ now: 0 })
    const progress = new StageProgress(1)
    progress.estimateMs = 125_000
    vi.setSystemTime(5_000)
    progress.laterMs = 0
    expect(progress.render()).toBe('0/1 tables · ETA 2m00s (run 2m00s)')
  })

  it('leaves the run\'s ETA out when no earlier run tells what the later stages take', () => {
    vi.useFakeTimers({ now: 0 })
    const progress = new StageProgress(2)
    progress.expectedBytes = 200e6
    const table = progress.start('public.patch')
    vi.setSystemTime(10_000)
    table.add(100e6, 10)
    expect(progress.render()).toBe('0/2 tables · 10 rows · 100.0 MB · 10.0 MB/s · ETA 10s │ public.patch 10 rows 10.0 MB/s')
  })

  it('adds the units of later rounds to the total instead of replacing it', () => {
    const progress = new StageProgress()
    progress.expect(15)
    for (let i = 0; i < 15; i++) progress.start(`t${i}`).done()
    progress.expect(0)
    expect(progress.render()).toBe('15/15 tables')
  })

  it('counts each side of a verification on its own, without bytes it never moves', () => {
    const progress = new StageProgress()
    progress.expectOn('production', 3)
    progress.expectOn('staging', 3)
    progress.start('public.a', 'production')
    progress.start('public.a', 'staging').done(40)
    progress.start('public.b', 'staging').done(2)
    expect(progress.render()).toBe('production 0/3 tables · staging 2/3 tables · 42 rows │ public.a on production')
  })

  it('shows the phase under way when no table moves', () => {
    const progress = new StageProgress()
    progress.phase = 'building indexes, constraints and triggers into staging'
    expect(progress.hasNews()).toBe(true)
    expect(progress.render()).toBe('building indexes, constraints and triggers into staging')
  })

  it('replaces the rows counted along the way with the exact count at the end', () => {
    const progress = new StageProgress(1)
    const tick = progress.start('db.t')
    tick.add(100, 4000)
    tick.done(37)
    expect(progress.rows).toBe(37)
  })
})

describe('row counters of a stream', () => {
  it('takes rows from the reader when it counts them, not line ends', () => {
    const progress = new StageProgress(1)
    let sent = 0
    const onChunk = streamTicker(progress.start('db.t'), () => sent)
    sent = 3
    onChunk(1000, 120)
    sent = 5
    onChunk(500, 80)
    expect(progress.rows).toBe(5)
  })

  it('counts line ends when the reader does not count', () => {
    const progress = new StageProgress(1)
    const onChunk = streamTicker(progress.start('public.t'))
    onChunk(10, 2)
    onChunk(10, 3)
    expect(progress.rows).toBe(5)
  })

  it('prorates a file\'s rows by the bytes read, reaching the exact count at the end', () => {
    const progress = new StageProgress(1)
    const onChunk = fileTicker(progress.start('db.t'), 7, 1000)
    onChunk(500)
    expect(progress.rows).toBe(3)
    onChunk(500)
    expect(progress.rows).toBe(7)
  })

  it('says no "0 tables" before a stage knows its tables: the snapshot shows its ETA alone', () => {
    vi.useFakeTimers({ now: 0 })
    const progress = new StageProgress()
    progress.estimateMs = 300
    progress.laterMs = 23_000
    expect(progress.render()).toBe('ETA 0s (run 23s)')
    progress.expect(15)
    expect(progress.render()).toBe('0/15 tables · ETA 0s (run 23s)')
  })
})
