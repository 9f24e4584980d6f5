import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { systemClock, throttleTransform, TokenBucket } from '../../pipeline/safety/throttle/rate-limit.ts'
import { FakeClock } from '../throttle/fake-clock.ts'
import { countingSource, maxInWindow, randomChunks, type Received, recordingSink } from '../throttle/streams.ts'

const RATE = 1_000_000 // bytes per second

describe('rate limit', () => {
  it('passes every byte unchanged and in order, at the rate the fake clock allows', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(RATE, { clock })
    const { chunks, sha256 } = randomChunks(4_000_000)
    const received: Received[] = []
    const sink = recordingSink(clock, received)
    await pipeline(countingSource(chunks), throttleTransform({ bucket }), sink)

    expect(sink.bytes).toBe(4_000_000)
    expect(sink.sha256()).toBe(sha256)
    // Over the whole transfer: no faster than rate + burst, no slower than the rate.
    const elapsed = clock.now()
    expect(elapsed).toBeGreaterThanOrEqual(((4_000_000 - bucket.burstBytes) / RATE) * 1000 - 0.001)
    expect(elapsed).toBeLessThanOrEqual((4_000_000 / RATE) * 1000 + 1)
    // And within every window: at most rate × window + burst + one chunk.
    const biggest = Math.max(...chunks.map((c) => c.length))
    for (const windowMs of [100, 500, 1000, 2000]) {
      expect(maxInWindow(received, windowMs)).toBeLessThanOrEqual((RATE * windowMs) / 1000 + bucket.burstBytes + biggest)
    }
    expect(bucket.limitedMs()).toBeGreaterThan(elapsed * 0.9)
  })

  it('is one limit shared by every stream of a stage, each stream intact', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(RATE, { clock, burstBytes: 32 * 1024 })
    const received: Received[] = []
    const inputs = [1, 2, 3].map((seed) => randomChunks(1_500_000, 64 * 1024, seed))
    const sinks = inputs.map((_, i) => recordingSink(clock, received, i))
    await Promise.all(inputs.map((input, i) => pipeline(countingSource(input.chunks), throttleTransform({ bucket }), sinks[i]!)))

    sinks.forEach((sink, i) => expect(sink.sha256()).toBe(inputs[i]!.sha256))
    const elapsed = clock.now()
    expect(elapsed).toBeGreaterThanOrEqual(((4_500_000 - 32 * 1024) / RATE) * 1000 - 0.001)
    expect(elapsed).toBeLessThanOrEqual((4_500_000 / RATE) * 1000 + 1)
    for (const windowMs of [250, 1000, 3000]) {
      expect(maxInWindow(received, windowMs)).toBeLessThanOrEqual((RATE * windowMs) / 1000 + 32 * 1024 + 64 * 1024)
    }
    // Streams take turns: every stream got data in every second of the transfer.
    for (let second = 0; second < 4; second++) {
      const streams = new Set(received.filter((r) => r.at >= second * 1000 && r.at < (second + 1) * 1000).map((r) => r.stream))
      expect(streams.size).toBe(3)
    }
    // limitedMs is wall time with a stream waiting, not the sum over three streams.
    expect(bucket.limitedMs()).toBeLessThanOrEqual(elapsed)
  })

  it('holds back at most one chunk: the source is read only as fast as the limit lets data out', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(RATE, { clock })
    // Small chunks: a stream with Node's default 16 KiB high-water mark would queue four of them.
    const chunks = Array.from({ length: 500 }, (_, i) => Buffer.alloc(4096, i))
    const source = countingSource(chunks)
    const throttle = throttleTransform({ bucket })
    let delivered = 0
    let worstAhead = 0
    let worstQueued = 0
    const sink = recordingSink(clock, [], 0, () => {
      delivered++
      worstAhead = Math.max(worstAhead, source.pulled - delivered)
      worstQueued = Math.max(worstQueued, throttle.writableLength)
    })
    await pipeline(source, throttle, sink)
    expect(delivered).toBe(500)
    expect(worstQueued).toBeLessThanOrEqual(4096)
    // One chunk in the source's buffer, one waiting in the throttle, one being handed on.
    expect(worstAhead).toBeLessThanOrEqual(3)
  })

  it('stops at once on abort (Ctrl-C) while waiting for tokens', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(10_000, { clock })
    const abort = new AbortController()
    const { chunks } = randomChunks(1_000_000, 16 * 1024)
    const received: Received[] = []
    const sink = recordingSink(clock, received, 0, () => { if (received.length === 5) abort.abort() })
    await expect(pipeline(countingSource(chunks), throttleTransform({ bucket, signal: abort.signal }), sink)).rejects.toMatchObject({ name: 'AbortError' })
    expect(received).toHaveLength(5)
    // 1 MB at 10 kB/s would take 100 s; the abort came within the sixth chunk's wait.
    expect(clock.now()).toBeLessThan(5_000)
  })

  it('stops at once on abort with the real clock too', async () => {
    const bucket = new TokenBucket(1000, { clock: systemClock, burstBytes: 1000 })
    const abort = new AbortController()
    const started = Date.now()
    setTimeout(() => abort.abort(), 50)
    // One megabyte at 1 kB/s: a wait of some 17 minutes, cut short by the abort.
    await expect(pipeline(countingSource([Buffer.alloc(1_000_000)]), throttleTransform({ bucket, signal: abort.signal }), recordingSink(systemClock, [])))
      .rejects.toMatchObject({ name: 'AbortError' })
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('a failing sink cancels the wait of its stream (the load is rolled back, nothing hangs)', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(10_000, { clock })
    const { Writable } = await import('node:stream')
    let writes = 0
    const sink = new Writable({ write(_chunk, _enc, cb) { cb(++writes === 3 ? new Error('COPY failed') : null) } })
    await expect(pipeline(countingSource(randomChunks(1_000_000, 16 * 1024).chunks), throttleTransform({ bucket }), sink)).rejects.toThrow('COPY failed')
    expect(clock.now()).toBeLessThan(5_000)
  })
})
