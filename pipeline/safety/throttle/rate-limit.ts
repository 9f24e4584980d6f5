import { Transform } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

/** Time as the throttle sees it; tests inject a fake one (test/throttle/fake-clock.ts). */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number
  /** Resolves after `ms`; rejects (AbortError) as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
}

/** Something a stream waits on before each chunk: the replica-lag pause (replica-lag.ts). */
export interface Hold {
  wait(signal?: AbortSignal): Promise<void>
}

/**
 * A byte-rate limit shared by every stream of a stage: a token bucket in its GCRA form
 * ("theoretical arrival time"). Each `take` reserves its bytes in call order, so concurrent
 * streams are served first come, first served, and over any interval from the bucket's
 * creation the bytes let through never exceed `rate × elapsed + burst`.
 */
export class TokenBucket {
  readonly clock: Clock
  readonly burstBytes: number
  /** When the bytes reserved so far would have been sent at exactly the rate (ms on the clock). */
  private tat: number
  private readonly burstMs: number
  private waiting = 0
  private waitingSince = 0
  private waitedMs = 0

  /**
   * @param bytesPerSecond the limit
   * @param options.burstBytes bytes that may pass at once after an idle spell
   *   @defaultValue the larger of 64 KiB (one COPY chunk) and a tenth of a second at the rate
   */
  constructor(readonly bytesPerSecond: number, options: { burstBytes?: number; clock?: Clock } = {}) {
    this.clock = options.clock ?? systemClock
    this.burstBytes = options.burstBytes ?? Math.max(64 * 1024, Math.round(bytesPerSecond / 10))
    this.burstMs = (this.burstBytes * 1000) / bytesPerSecond
    this.tat = this.clock.now()
  }

  /** Waits until `bytes` may pass. An abort rejects at once (the reservation is then dropped). */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    const now = this.clock.now()
    const cost = (bytes * 1000) / this.bytesPerSecond
    this.tat = Math.max(this.tat, now) + cost
    const wait = this.tat - this.burstMs - now
    if (wait <= 0) return
    if (this.waiting++ === 0) this.waitingSince = now
    try {
      await this.clock.sleep(wait, signal)
    } catch (error) {
      this.tat -= cost
      throw error
    } finally {
      if (--this.waiting === 0) this.waitedMs += this.clock.now() - this.waitingSince
    }
  }

  /** Time during which at least one stream waited for the rate (not the sum over streams). */
  limitedMs(): number {
    return this.waitedMs + (this.waiting > 0 ? this.clock.now() - this.waitingSince : 0)
  }
}

export interface ThrottleTransformOptions {
  bucket?: TokenBucket
  hold?: Hold
  /** The run's signal (Ctrl-C): a stream waiting for tokens or for a pause stops at once. */
  signal?: AbortSignal
}

function byteLength(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk)
  return (chunk as { length?: number }).length ?? 0
}

/**
 * One stream's pass-through: every chunk is passed on unchanged once the hold (replica lag)
 * is open and the bucket has tokens for its bytes. The high-water marks of one byte make
 * `write()` report backpressure after each chunk, so at most one chunk waits here.
 * Destroying the stream (a failed load) cancels its wait.
 */
export function throttleTransform(options: ThrottleTransformOptions): Transform {
  const { bucket, hold } = options
  const cancel = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal
  return new Transform({
    highWaterMark: 1,
    transform(chunk: unknown, _encoding, callback) {
      const pass = async () => {
        signal.throwIfAborted()
        if (hold) await hold.wait(signal)
        if (bucket) await bucket.take(byteLength(chunk), signal)
        // A pause that began while this chunk waited for tokens holds it too.
        if (hold && bucket) await hold.wait(signal)
      }
      pass().then(() => callback(null, chunk), (error: unknown) => callback(error as Error))
    },
    destroy(error, callback) {
      cancel.abort(error ?? new Error('throttled stream closed'))
      callback(error)
    },
  })
}
