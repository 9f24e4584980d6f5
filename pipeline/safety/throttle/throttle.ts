import type { Transform } from 'node:stream'
import type { RunContext } from '../../run-state/context.ts'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { engineFacts } from '../../drivers/engines.ts'
import { inStage, type StageName } from '../../errors.ts'
import { formatBytes } from '../../util/files.ts'
import { type Clock, systemClock, throttleTransform, TokenBucket } from './rate-limit.ts'
import { ReplicaLagWatcher } from './replica-lag.ts'

export interface ThrottleStats {
  /** Wall time during which replica lag held the load (whether or not a stream was waiting). */
  pausedMs: number
  /** Pauses for replica lag. */
  pauses: number
  /** Wall time during which at least one stream waited for the byte rate. */
  limitedMs: number
}

export interface Throttle {
  /** The transforms for ONE stream (call it per `writeTable`): none when nothing is configured. */
  through(): Transform[]
  /** Resolves once no replica-lag pause holds: await it before heavy steps that are not streams (post-data). */
  whenClear(signal?: AbortSignal): Promise<void>
  stats(): ThrottleStats
  /** Stops polling replica lag and lets every waiting stream go; call it in a `finally`. */
  stop(): Promise<void>
}

/** What startThrottle reads of the run (a RunContext fits). */
export type ThrottleContext = Pick<RunContext, 'config' | 'driver' | 'log' | 'signal'> & { readonly loadTarget?: Endpoint | undefined }

export interface ThrottleOptions {
  /** Stage named in log events. @defaultValue 'loadback' */
  stage?: StageName
  /** Between replica-lag readings. @defaultValue 3000 */
  pollMs?: number
  clock?: Clock
}

/**
 * The throttle of one stage, from config `throttle` (with `--max-rate` / `--max-replica-lag`
 * applied): one byte rate shared by every stream, and a pause of every stream while a replica
 * of the server being loaded lags more than the limit. Takes a first lag reading, so a wrong
 * replica URL or a missing privilege fails here, before any row moves.
 *
 * @example
 * const throttle = await startThrottle(ctx)
 * try {
 *   await session.writeTable(table, file, [...throttle.through(), meter])
 * } finally {
 *   await throttle.stop()
 * }
 * const { pausedMs, pauses, limitedMs } = throttle.stats()
 */
export async function startThrottle(ctx: ThrottleContext, options: ThrottleOptions = {}): Promise<Throttle> {
  const { stage = 'loadback', clock = systemClock } = options
  const { maxRate, maxReplicaLag, replicas = [] } = ctx.config.throttle ?? {}
  const log = (kind: 'info' | 'warning', message: string) => ctx.log.write({ kind, stage, message: `throttle: ${message}` })
  const bucket = maxRate === undefined ? undefined : new TokenBucket(maxRate, { clock })
  if (bucket) log('info', `the load is limited to ${formatBytes(maxRate!)}/s over all streams`)
  let watcher: ReplicaLagWatcher | undefined
  if (maxReplicaLag !== undefined && ctx.driver.replicaLag) {
    const { config } = ctx
    const primary = ctx.loadTarget ?? (config.target === 'in-place' ? config.source : config.target)
    const read = ctx.driver.replicaLag.bind(ctx.driver, primary, replicas)
    watcher = new ReplicaLagWatcher({ read, maxLagSeconds: maxReplicaLag, clock, log, ...(options.pollMs ? { pollMs: options.pollMs } : {}) })
    try {
      const first = await watcher.start()
      log(first.length ? 'info' : 'warning', first.length
        ? `pausing while replica lag exceeds ${maxReplicaLag} s; watching ${first.map((r) => r.replica).join(', ')}`
        : `no replica of ${describeEndpoint(primary)} to watch (${engineFacts(ctx.driver.engine).replication.noReplicaHint}); replica lag is not limited`)
    } catch (error) {
      await watcher.stop()
      throw inStage(stage, error)
    }
  } else if (maxReplicaLag !== undefined) {
    log('warning', `the ${ctx.driver.engine} driver cannot read replica lag; maxReplicaLag is ignored`)
  } else if (replicas.length) {
    log('warning', 'throttle.replicas is set but no lag limit (throttle.maxReplicaLag or --max-replica-lag): replica lag is not watched')
  }
  const active = bucket !== undefined || watcher !== undefined
  return {
    through: () => (active ? [throttleTransform({ ...(bucket ? { bucket } : {}), ...(watcher ? { hold: watcher } : {}), signal: ctx.signal })] : []),
    whenClear: (signal) => watcher?.wait(signal) ?? Promise.resolve(),
    stats: () => ({ pausedMs: 0, pauses: 0, ...watcher?.stats(), limitedMs: bucket?.limitedMs() ?? 0 }),
    stop: async () => { await watcher?.stop() },
  }
}
