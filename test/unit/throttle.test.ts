import { pipeline } from 'node:stream/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../../pipeline/config/config.ts'
import type { Driver, ReplicaLag } from '../../pipeline/drivers/driver.ts'
import { type Endpoint, parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { startThrottle, type ThrottleContext } from '../../pipeline/safety/throttle/throttle.ts'
import { eventLog } from '../throttle/events.ts'
import { FakeClock } from '../throttle/fake-clock.ts'
import { countingSource, randomChunks, type Received, recordingSink } from '../throttle/streams.ts'

const logs: ReturnType<typeof eventLog>[] = []
afterEach(() => { logs.splice(0).forEach((l) => l.remove()) })

function context(throttle: unknown, replicaLag?: Driver['replicaLag'], loadTarget?: Endpoint): ThrottleContext & { logged: ReturnType<typeof eventLog> } {
  const logged = eventLog()
  logs.push(logged)
  const config = parseConfig({ source: 'postgres://app@db.example.org:5432/app', ...(throttle ? { throttle } : {}) }, '/srv/upgrade.config.mjs')
  const driver = { engine: 'postgres', ...(replicaLag ? { replicaLag } : {}) } as unknown as Driver
  return { config, driver, log: logged.log, signal: new AbortController().signal, logged, ...(loadTarget ? { loadTarget } : {}) }
}

describe('startThrottle', () => {
  it('adds no transform when nothing is configured', async () => {
    const throttle = await startThrottle(context(undefined))
    expect(throttle.through()).toEqual([])
    await throttle.whenClear()
    await throttle.stop()
    expect(throttle.stats()).toEqual({ pausedMs: 0, pauses: 0, limitedMs: 0 })
  })

  it('limits all streams together to --max-rate and reports the time limited', async () => {
    const clock = new FakeClock()
    const ctx = context({ maxRate: '2MB/s' })
    const throttle = await startThrottle(ctx, { clock })
    const received: Received[] = []
    const inputs = [randomChunks(3_000_000, 64 * 1024, 3), randomChunks(3_000_000, 64 * 1024, 4)]
    await Promise.all(inputs.map((input, i) => pipeline([countingSource(input.chunks), ...throttle.through(), recordingSink(clock, received, i)])))
    await throttle.stop()
    expect(throttle.through()).toHaveLength(1)
    expect(clock.now()).toBeGreaterThanOrEqual(2_900 - 0.001) // (6 MB − 200 kB burst) at 2 MB/s
    expect(clock.now()).toBeLessThanOrEqual(3_001)
    expect(throttle.stats().limitedMs).toBeGreaterThan(2_500)
    expect(ctx.logged.events()).toEqual([{ at: expect.any(String), kind: 'info', stage: 'loadback', message: 'throttle: the load is limited to 2.0 MB/s over all streams' }])
  })

  it('reads lag against the server being loaded, with the configured replicas', async () => {
    const calls: { primary: Endpoint; replicas: readonly Endpoint[] }[] = []
    const replicaLag = async (primary: Endpoint, replicas: readonly Endpoint[]): Promise<ReplicaLag[]> => {
      calls.push({ primary, replicas })
      return [{ replica: 'postgres://repl@standby:5432/app', seconds: 0.2 }]
    }
    const shadow = parseEndpoint('postgres://app@db.example.org:5432/app_dd_shadow_1', 'target')
    const ctx = context({ maxReplicaLag: 10, replicas: ['postgres://repl:s3cret@standby:5432/app'] }, replicaLag, shadow)
    const throttle = await startThrottle(ctx, { clock: new FakeClock(), pollMs: 1000 })
    await throttle.stop()
    expect(calls[0]!.primary).toBe(shadow)
    expect(calls[0]!.replicas.map((r) => r.host)).toEqual(['standby'])
    expect(throttle.through()).toHaveLength(1)
    expect(ctx.logged.events().map((e) => e.message)).toEqual(['throttle: pausing while replica lag exceeds 10 s; watching postgres://repl@standby:5432/app'])
    expect(ctx.logged.text()).not.toContain('s3cret')
  })

  it('fails before any row moves when the first lag reading fails', async () => {
    const { DrydockError } = await import('../../pipeline/errors.ts')
    const replicaLag = async (): Promise<ReplicaLag[]> => {
      throw new DrydockError('DD_THROTTLE_NOT_A_REPLICA', 'postgres://repl@db:5432/app is not a standby (pg_is_in_recovery() is false)')
    }
    await expect(startThrottle(context({ maxReplicaLag: 10 }, replicaLag))).rejects.toMatchObject({ code: 'DD_THROTTLE_NOT_A_REPLICA', ctx: { stage: 'loadback' } })
  })

  it('warns when there is nothing to watch, or no lag limit for the listed replicas', async () => {
    const none = context({ maxReplicaLag: 10 }, async () => [])
    await (await startThrottle(none, { clock: new FakeClock() })).stop()
    expect(none.logged.events()).toEqual([expect.objectContaining({ kind: 'warning', message: expect.stringContaining('no replica of postgres://app@db.example.org:5432/app to watch (no standby is streaming from it)') })])

    const noLimit = context({ replicas: ['postgres://repl@standby:5432/app'] }, async () => [])
    const throttle = await startThrottle(noLimit)
    expect(throttle.through()).toEqual([])
    expect(noLimit.logged.events()).toEqual([expect.objectContaining({ kind: 'warning', message: expect.stringContaining('throttle.replicas is set but no lag limit') })])

    const unsupported = context({ maxReplicaLag: 10 })
    await startThrottle(unsupported)
    expect(unsupported.logged.events()).toEqual([expect.objectContaining({ kind: 'warning', message: 'throttle: the postgres driver cannot read replica lag; maxReplicaLag is ignored' })])
  })
})
