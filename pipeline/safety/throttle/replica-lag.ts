import type { ReplicaLag } from '../../drivers/driver.ts'
import { redactUrls } from '../../util/redact.ts'
import { type Clock, type Hold, systemClock } from './rate-limit.ts'

export interface LagWatcherOptions {
  /** One reading of every replica (`driver.replicaLag` bound to the primary and replicas). */
  read: () => Promise<readonly ReplicaLag[]>
  /** A replica further behind than this (or of unknown lag) pauses every stream. */
  maxLagSeconds: number
  /** @defaultValue 3000 */
  pollMs?: number
  clock?: Clock
  /** One 'warning' when a pause starts, one 'info' when it ends. */
  log: (kind: 'warning' | 'info', message: string) => void
}

/**
 * Polls replica lag while a stage runs and holds every throttled stream while the worst lag
 * exceeds the limit (issue 7: the re-import must not flood a replica the way the in-place
 * migration did). A reading that fails is an unknown lag: the streams wait rather than guess.
 */
export class ReplicaLagWatcher implements Hold {
  private readonly clock: Clock
  private readonly stopper = new AbortController()
  private loop: Promise<void> | undefined
  private pausedSince: number | undefined
  private pausedTotal = 0
  private pauseCount = 0
  private release: (() => void) | undefined
  private opened: Promise<void> = Promise.resolve()
  /** The last reading, for tests and for the stage's own messages. */
  last: readonly ReplicaLag[] = []

  constructor(private readonly options: LagWatcherOptions) {
    this.clock = options.clock ?? systemClock
  }

  get paused(): boolean {
    return this.pausedSince !== undefined
  }

  /** Takes a first reading (its errors reach the caller: a wrong replica URL stops the stage before any row moves), then polls. */
  async start(): Promise<readonly ReplicaLag[]> {
    this.apply(await this.options.read())
    this.loop = this.poll()
    return this.last
  }

  private async poll(): Promise<void> {
    const { pollMs = 3000 } = this.options
    while (!this.stopper.signal.aborted) {
      try {
        await this.clock.sleep(pollMs, this.stopper.signal)
      } catch {
        return
      }
      let readings: readonly ReplicaLag[]
      try {
        readings = await this.options.read()
      } catch (error) {
        readings = [{ replica: 'replicas', seconds: null, note: `lag could not be read: ${(error as Error).message ?? String(error)}` }]
      }
      if (!this.stopper.signal.aborted) this.apply(readings)
    }
  }

  private apply(readings: readonly ReplicaLag[]): void {
    this.last = readings
    const limit = this.options.maxLagSeconds
    const lagging = readings.filter((r) => r.seconds === null || r.seconds > limit)
    if (lagging.length > 0 && !this.paused) {
      this.pausedSince = this.clock.now()
      this.pauseCount++
      this.opened = new Promise((resolve) => { this.release = resolve })
      this.options.log('warning', redactUrls(`replica lag over ${limit} s, pausing the load: ${lagging.map(describeLag).join('; ')}`))
    } else if (lagging.length === 0 && this.paused) {
      const ms = this.endPause()
      const worst = readings.reduce<ReplicaLag | undefined>((w, r) => (w === undefined || (r.seconds ?? 0) > (w.seconds ?? 0) ? r : w), undefined)
      this.options.log('info', redactUrls(`replica lag back under ${limit} s (${worst ? describeLag(worst) : 'no replica'}), load resumes after ${(ms / 1000).toFixed(1)} s paused`))
    }
  }

  private endPause(): number {
    const ms = this.clock.now() - this.pausedSince!
    this.pausedTotal += ms
    this.pausedSince = undefined
    this.release?.()
    return ms
  }

  /** Resolves at once unless paused; then when the pause ends, the watcher stops, or `signal` aborts (rejecting). */
  wait(signal?: AbortSignal): Promise<void> {
    if (!this.paused) return Promise.resolve()
    if (!signal) return this.opened
    signal.throwIfAborted()
    return new Promise((resolve, reject) => {
      const abort = () => reject(signal.reason)
      signal.addEventListener('abort', abort, { once: true })
      void this.opened.then(() => {
        signal.removeEventListener('abort', abort)
        resolve()
      })
    })
  }

  stats(): { pausedMs: number; pauses: number } {
    const current = this.pausedSince === undefined ? 0 : this.clock.now() - this.pausedSince
    return { pausedMs: this.pausedTotal + current, pauses: this.pauseCount }
  }

  /** Stops polling (waiting for a reading under way) and lets every held stream go. */
  async stop(): Promise<void> {
    this.stopper.abort()
    await this.loop
    if (this.paused) {
      const ms = this.endPause()
      this.options.log('info', `stopped while paused for replica lag (${(ms / 1000).toFixed(1)} s paused)`)
    }
  }
}

function describeLag(lag: ReplicaLag): string {
  const seconds = lag.seconds === null ? 'lag unknown' : `${lag.seconds.toFixed(1)} s`
  return `${lag.replica} ${seconds}${lag.note ? ` (${lag.note})` : ''}`
}
