import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import type { ReplicaLag } from '../../pipeline/drivers/driver.ts'
import { lagFromSamples } from '../../pipeline/drivers/postgres/postgres-replica-lag.ts'
import { throttleTransform, TokenBucket } from '../../pipeline/safety/throttle/rate-limit.ts'
import { ReplicaLagWatcher } from '../../pipeline/safety/throttle/replica-lag.ts'
import { FakeClock } from '../throttle/fake-clock.ts'
import { countingSource, randomChunks, type Received, recordingSink } from '../throttle/streams.ts'

type Logged = { kind: 'warning' | 'info'; message: string }

/** Lag as a function of the fake time: over the limit from 2 s to 6 s. */
function scripted(clock: FakeClock): () => Promise<ReplicaLag[]> {
  return async () => {
    const t = clock.now()
    if (t >= 2000 && t < 6000) {
      return [
        { replica: 'mysql://repl@replica-1:3306/app', seconds: 12, note: 'relay log behind' },
        { replica: 'mysql://repl@replica-2:3306/app', seconds: null, note: 'SQL thread stopped (Slave_SQL_Running: No)' },
      ]
    }
    return [{ replica: 'mysql://repl@replica-1:3306/app', seconds: t < 2000 ? 0 : 1 }, { replica: 'mysql://repl@replica-2:3306/app', seconds: 0 }]
  }
}

describe('replica-lag watcher', () => {
  it('holds every stream while the worst lag exceeds the limit, and logs one warning and one info', async () => {
    const clock = new FakeClock()
    const logged: Logged[] = []
    const watcher = new ReplicaLagWatcher({ read: scripted(clock), maxLagSeconds: 5, pollMs: 500, clock, log: (kind, message) => logged.push({ kind, message }) })
    await watcher.start()
    const bucket = new TokenBucket(1_000_000, { clock })
    const received: Received[] = []
    const inputs = [randomChunks(5_000_000, 64 * 1024, 7), randomChunks(5_000_000, 64 * 1024, 8)]
    const sinks = inputs.map((_, i) => recordingSink(clock, received, i))
    await Promise.all(inputs.map((input, i) => pipeline(countingSource(input.chunks), throttleTransform({ bucket, hold: watcher }), sinks[i]!)))
    await watcher.stop()

    sinks.forEach((sink, i) => expect(sink.sha256()).toBe(inputs[i]!.sha256))
    // The poll at 2 s saw the lag and the one at 6 s saw it gone: nothing moved in between.
    expect(received.filter((r) => r.at > 2000 && r.at < 6000)).toEqual([])
    expect(received.some((r) => r.at >= 6000)).toBe(true)
    expect(watcher.stats()).toEqual({ pausedMs: 4000, pauses: 1 })
    // 10 MB at 1 MB/s plus the 4 s pause, less what may go at once: the burst at the start and
    // again after the pause, and the chunk of each stream that had its tokens when the pause began.
    expect(clock.now()).toBeGreaterThanOrEqual(14_000 - ((2 * bucket.burstBytes + 2 * 64 * 1024) / 1_000_000) * 1000)
    expect(clock.now()).toBeLessThanOrEqual(14_000 + 500)
    expect(logged).toEqual([
      { kind: 'warning', message: expect.stringContaining('replica lag over 5 s, pausing the load') },
      { kind: 'info', message: expect.stringContaining('load resumes after 4.0 s paused') },
    ])
    expect(logged[0]!.message).toContain('mysql://repl@replica-1:3306/app 12.0 s (relay log behind)')
    expect(logged[0]!.message).toContain('replica-2:3306/app lag unknown (SQL thread stopped (Slave_SQL_Running: No))')
  })

  it('a reading that fails counts as lagging, and the log never shows a password', async () => {
    const clock = new FakeClock()
    const logged: Logged[] = []
    let failing = false
    const read = async (): Promise<ReplicaLag[]> => {
      if (failing) throw new Error('connect ECONNREFUSED for postgres://repl:hunter22@standby:5432/app')
      return [{ replica: 'standby', seconds: 0 }]
    }
    const watcher = new ReplicaLagWatcher({ read, maxLagSeconds: 5, pollMs: 1000, clock, log: (kind, message) => logged.push({ kind, message }) })
    await watcher.start()
    failing = true
    await clock.sleep(1500)
    expect(watcher.paused).toBe(true)
    failing = false
    await clock.sleep(1000)
    expect(watcher.paused).toBe(false)
    await watcher.stop()
    expect(logged.map((l) => l.kind)).toEqual(['warning', 'info'])
    expect(logged[0]!.message).toContain('lag could not be read: connect ECONNREFUSED')
    expect(logged.join(' ')).not.toContain('hunter22')
    expect(JSON.stringify(logged)).not.toContain('hunter22')
  })

  it('a stream held by a pause stops at once on abort, and stop() lets held streams go', async () => {
    const clock = new FakeClock()
    const watcher = new ReplicaLagWatcher({ read: async () => [{ replica: 'r', seconds: 60 }], maxLagSeconds: 5, pollMs: 1000, clock, log: () => {} })
    await watcher.start()
    expect(watcher.paused).toBe(true)
    const abort = new AbortController()
    const held = pipeline(countingSource([Buffer.from('row\n')]), throttleTransform({ hold: watcher, signal: abort.signal }), recordingSink(clock, []))
    await clock.sleep(10_000)
    abort.abort()
    await expect(held).rejects.toMatchObject({ name: 'AbortError' })

    const received: Received[] = []
    const released = pipeline(countingSource([Buffer.from('row\n')]), throttleTransform({ hold: watcher }), recordingSink(clock, received))
    await clock.sleep(3000)
    expect(received).toEqual([])
    await watcher.stop()
    await released
    expect(received).toHaveLength(1)
    expect(watcher.stats().pauses).toBe(1)
  })

  it('PostgreSQL: lag is the time since the primary first passed the standby\'s replay position', () => {
    const samples = [{ at: 1000, lsn: 100n }, { at: 4000, lsn: 200n }, { at: 7000, lsn: 300n }]
    expect(lagFromSamples(samples, 300n, 9000)).toBe(0)
    expect(lagFromSamples(samples, 250n, 9000)).toBe(2)
    expect(lagFromSamples(samples, 150n, 9000)).toBe(5)
    // Behind everything drydock has seen: at least since the first sample.
    expect(lagFromSamples(samples, 50n, 9000)).toBe(8)
  })
})
