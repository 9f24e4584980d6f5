import type { Clock } from '../../pipeline/safety/throttle/rate-limit.ts'

interface Timer { at: number; seq: number; resolve: () => void }

/**
 * A discrete-event clock: time stands still while anything can run, and when the process is
 * otherwise idle (a setImmediate turn: in-memory streams settle in nextTicks and microtasks)
 * it jumps to the earliest pending sleep. Tests run in no wall time and are exact.
 */
export class FakeClock implements Clock {
  time = 0
  private timers: Timer[] = []
  private seq = 0
  private scheduled = false

  now(): number {
    return this.time
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, resolve: () => { signal?.removeEventListener('abort', abort); resolve() } }
      const abort = () => {
        this.timers = this.timers.filter((t) => t !== timer)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', abort, { once: true })
      this.timers.push(timer)
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.timers.shift()
      if (!next) return
      this.time = Math.max(this.time, next.at)
      next.resolve()
      if (this.timers.length) this.schedule()
    })
  }
}
