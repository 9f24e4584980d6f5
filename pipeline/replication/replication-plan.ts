/**
 * No replication flood (issue 12): where config `replicas` lists every replica of production
 * for a direct load, the copy is loaded into the primary's shadow and into each replica's
 * shadow directly, with the binary log off for those sessions, so no row event is replicated;
 * the swap's statements (RENAME TABLE, backup database, views, triggers) replicate as usual and
 * every server ends the same. Otherwise the load goes through the log as before, under the lag
 * throttle, and the log and report say why. Either way the bytes of log written are recorded.
 */
import type { RunContext } from '../run-state/context.ts'
import { describeEndpoint, type Endpoint, withDatabase } from '../config/endpoint.ts'
import { engineFacts } from '../drivers/engines.ts'
import type { ThrottleContext } from '../safety/throttle/throttle.ts'
import type { ReplicaRecord, ReplicationRecord } from '../run-state/replication-records.ts'

/** Lag limit of a load that falls back to replication when the config sets none (seconds). */
export const FALLBACK_MAX_LAG = 30

/** The server the load back writes: the source (in place) or the separate target. */
export function loadedServer(ctx: RunContext): Endpoint {
  return ctx.config.target === 'in-place' ? ctx.config.source : ctx.config.target
}

/** Why the copy cannot skip the log, or undefined. Reads only (the replica probe drops a stale copy there). */
async function whyReplicated(ctx: RunContext, shadow: string): Promise<string | undefined> {
  const { config, driver } = ctx
  const direct = driver.directReplicas
  if (!direct) return `the ${driver.engine} driver cannot load replicas directly`
  if (config.target !== 'in-place') return 'the copy goes to a separate target, not beside production'
  const asked = config.replicas.filter((r) => r.load === 'replicated')
  if (asked.length > 0) return `${asked.map((r) => describeEndpoint(r.endpoint)).join(', ')} ${asked.length === 1 ? 'is' : 'are'} set to load: 'replicated'`
  const readers = await direct.logReaders(config.source)
  if (readers === null) return `drydock cannot see which sessions read the binary log of ${describeEndpoint(config.source)} (grant PROCESS): an unlisted replica would miss the copy and stop at the swap`
  if (readers > config.replicas.length) {
    return `${readers} session(s) read the binary log of ${describeEndpoint(config.source)} but ${config.replicas.length} replica(s) are listed: an unlisted replica would miss the copy and stop at the swap`
  }
  for (const r of config.replicas) {
    const why = await direct.probe(r.endpoint, shadow)
    if (why) return `replica ${describeEndpoint(r.endpoint)} cannot be written directly: ${why}`
  }
  try {
    await direct.skipLog(config.source, shadow)
  } catch (error) {
    return (error as Error).message
  }
  return undefined
}

/**
 * Decides how the copy reaches the replicas, before the shadow exists (the primary's shadow is
 * then created and loaded without the log), and records the log position. Returns the replicas
 * to load directly.
 */
export async function planReplication(ctx: RunContext, shadow: string): Promise<readonly Endpoint[]> {
  const { config, driver, manifest } = ctx
  // A resumed load back counts from the first attempt.
  const start = manifest.data.replication?.positions.loadback ?? await driver.logPosition(loadedServer(ctx)) ?? null
  const facts = engineFacts(driver.engine).replication
  const log = start === null ? 'none' : facts.log
  const record = (load: ReplicationRecord['load'], replicas: ReplicaRecord[], reason?: string): ReplicationRecord => ({
    log, load, ...(reason ? { reason } : {}), positions: start ? { loadback: start } : {}, bytes: { loadback: null, swap: null, total: null }, replicas,
  })
  const each = (load: ReplicaRecord['load'], reason?: string) => config.replicas.map((r): ReplicaRecord => ({ replica: describeEndpoint(r.endpoint), load, ...(reason ? { reason } : {}) }))
  let result: ReplicationRecord
  let direct: Endpoint[] = []
  if (log === 'none' && facts.logMayBeOff) {
    result = record('none', each('not loaded', 'the binary log is off: nothing replicates from this server'))
  } else if (config.replicas.length === 0 || facts.noDirectLoad) {
    result = record('replicated', each('replicated', facts.replayNote))
  } else {
    const why = await whyReplicated(ctx, shadow)
    if (why) {
      result = record('replicated', await withLagWatch(ctx, each('replicated', why)), why)
      ctx.log.write({ kind: 'warning', stage: 'loadback', message: `the load back goes through the binary log to the replicas (lag throttle on): ${why}` })
    } else if (ctx.options.rehearse) {
      result = record('direct', each('not loaded', 'rehearsal: production is not swapped, so the replicas need no copy'))
    } else {
      direct = config.replicas.map((r) => withDatabase(r.endpoint, shadow))
      result = record('direct', each('direct'))
      ctx.log.write({ kind: 'info', stage: 'loadback', message: `no row goes through the binary log: the copy is loaded into ${describeEndpoint(config.source, shadow)} and directly into ${direct.map((d) => describeEndpoint(d)).join(', ')}` })
    }
  }
  await manifest.update((m) => { m.replication = result })
  return direct
}

/**
 * Which listed replicas the lag throttle can read (a wrong URL or password cannot be watched:
 * the load goes on through the log without it, and the log says so).
 */
async function withLagWatch(ctx: RunContext, replicas: ReplicaRecord[]): Promise<ReplicaRecord[]> {
  return Promise.all(replicas.map(async (record, i) => {
    try {
      await ctx.driver.replicaLag(ctx.config.source, [ctx.config.replicas[i]!.endpoint])
      return { ...record, lagWatched: true }
    } catch (error) {
      ctx.log.write({ kind: 'warning', stage: 'loadback', message: `the lag of replica ${record.replica} cannot be read, so it is not watched: ${(error as Error).message}` })
      return { ...record, lagWatched: false }
    }
  }))
}

/** The direct copies of an earlier attempt (resume after the load back): from the config, by position. */
export function directCopies(ctx: RunContext): readonly { endpoint: Endpoint; record: ReplicaRecord }[] {
  const r = ctx.manifest.data.replication
  const shadow = ctx.manifest.data.target.shadow
  if (!r || !shadow || ctx.options.rehearse) return []
  return r.replicas.flatMap((record, i) => {
    const setting = ctx.config.replicas[i]
    return record.load === 'direct' && setting && describeEndpoint(setting.endpoint) === record.replica ? [{ endpoint: withDatabase(setting.endpoint, shadow), record }] : []
  })
}

/**
 * The throttle's view of the run: a load that goes through the log watches the listed replicas'
 * lag (with FALLBACK_MAX_LAG when no limit is set); a direct load needs no lag watch.
 */
export function throttled(ctx: RunContext): ThrottleContext {
  const r = ctx.manifest.data.replication
  if (!r || r.load !== 'replicated' || !ctx.driver.replicaLag) return ctx
  // Replicas whose lag cannot be read are left out (withLagWatch); PostgreSQL standbys are read as listed.
  const readable = ctx.config.replicas.filter((_, i) => r.replicas[i]?.lagWatched !== false).map((s) => s.endpoint)
  if (readable.length === 0) return ctx
  const throttle = ctx.config.throttle ?? { replicas: [] }
  const listed = new Set(throttle.replicas.map((e) => describeEndpoint(e)))
  const replicas = [...throttle.replicas, ...readable.filter((e) => !listed.has(describeEndpoint(e)))]
  return { ...ctx, config: { ...ctx.config, throttle: { ...throttle, maxReplicaLag: throttle.maxReplicaLag ?? FALLBACK_MAX_LAG, replicas } } }
}

/** Records the log position at `at` and the bytes written so far. Never fails the run. */
export async function recordLogPosition(ctx: RunContext, at: 'loadbackEnd' | 'swapEnd'): Promise<void> {
  const r = ctx.manifest.data.replication
  const { driver } = ctx
  if (!r?.positions.loadback || !driver.logPosition || !driver.logBytes) return
  try {
    const server = loadedServer(ctx)
    const now = await driver.logPosition(server)
    if (!now) return
    const positions = { ...r.positions, [at]: now }
    const between = async (from?: string, to?: string) => (from && to ? driver.logBytes(server, from, to) : null)
    const loadback = await between(positions.loadback, positions.loadbackEnd)
    const swap = await between(positions.loadbackEnd, positions.swapEnd)
    await ctx.manifest.update((m) => {
      m.replication!.positions = positions
      m.replication!.bytes = { loadback, swap, total: loadback !== null && swap !== null ? loadback + swap : null }
    })
  } catch (error) {
    ctx.log.write({ kind: 'warning', stage: at === 'swapEnd' ? 'swap' : 'loadback', message: `could not read the replication log position: ${(error as Error).message}` })
  }
}
