import { afterEach, describe, expect, it, vi } from 'vitest'
import { StageProgress } from '../../pipeline/progress.ts'

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
    expect(progress.render()).toBe('0/1 tables · 0 rows · 0 B · 0 B/s · ETA 2m00s (run 2m00s)')
  })
})
