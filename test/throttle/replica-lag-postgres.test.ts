/**
 * The throttle against a REAL PostgreSQL streaming standby: with replay paused on the standby
 * and rows written on the primary, the watcher reports the lag and every throttled stream waits;
 * after pg_wal_replay_resume() the standby catches up and the streams go on.
 */
import { createHash } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parseConfig } from '../../pipeline/config/config.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { endpointUrl } from '../../pipeline/config/endpoint.ts'
import { startThrottle, type Throttle } from '../../pipeline/safety/throttle/throttle.ts'
import { eventLog } from './events.ts'
import { hasPostgresBinaries, type StandbyPair, startStandbyPair } from './pg-standby.ts'
import { type Received, recordingSink } from './streams.ts'
import { systemClock } from '../../pipeline/safety/throttle/rate-limit.ts'

const PASSWORD = 's3cret-standby-pw'
let pair: StandbyPair
const logs: ReturnType<typeof eventLog>[] = []

beforeAll(async () => {
  pair = await startStandbyPair()
  await pair.sql('primary', 'CREATE TABLE filler (id int, pad text)')
}, 60_000)

afterAll(async () => {
  await pair?.stop()
  logs.forEach((l) => l.remove())
})

function context(throttle: Record<string, unknown>) {
  const logged = eventLog()
  logs.push(logged)
  const config = parseConfig({ source: endpointUrl(pair.primary), throttle }, '/srv/upgrade.config.mjs')
  return { config, driver: postgresDriver, log: logged.log, signal: new AbortController().signal, logged }
}

/** A stream through the throttle that the test feeds chunk by chunk. */
function feed(throttle: Throttle, logged: ReturnType<typeof eventLog>) {
  const source = new PassThrough()
  const received: Received[] = []
  const resumesLogged = () => logged.events().filter((e) => e.kind === 'info' && e.message.includes('back under')).length
  const resumesAtArrival: number[] = []
  const sink = recordingSink(systemClock, received, 0, () => resumesAtArrival.push(resumesLogged()))
  const done = pipeline([source, ...throttle.through(), sink])
  return { source, received, sink, done, resumesAtArrival }
}

/** Pauses replay on the standby and writes WAL on the primary; the watcher must see the lag and hold the stream. */
async function lagWhileFeeding(throttle: Throttle, stream: ReturnType<typeof feed>, whilePaused: () => Promise<void> = async () => {}): Promise<void> {
  stream.source.write(Buffer.from('before the lag\n'))
  await vi.waitFor(() => expect(stream.received).toHaveLength(1), { timeout: 10_000 })
  await pair.sql('standby', 'SELECT pg_wal_replay_pause()')
  await pair.sql('primary', "INSERT INTO filler SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g")
  await vi.waitFor(() => expect(throttle.stats().pauses).toBe(1), { timeout: 20_000, interval: 100 })
  stream.source.write(Buffer.from('during the lag\n'))
  await whilePaused()
  // Held: the chunk written during the lag reaches the sink only after the watcher logged the resume.
  await pair.sql('standby', 'SELECT pg_wal_replay_resume()')
  await vi.waitFor(() => expect(stream.received).toHaveLength(2), { timeout: 20_000, interval: 100 })
  expect(stream.resumesAtArrival.slice(0, 2)).toEqual([0, 1])
  expect(throttle.stats().pauses).toBe(1)
  stream.source.end(Buffer.from('after the lag\n'))
  await stream.done
  expect(stream.sink.sha256()).toBe(createHash('sha256').update('before the lag\nduring the lag\nafter the lag\n').digest('hex'))
}

describe.skipIf(!hasPostgresBinaries())('replica lag on a PostgreSQL streaming standby', () => {
  it('finds the standby in pg_stat_replication, pauses while its replay is paused, resumes after', async () => {
    // A standby that has not reported a replay position yet counts as lagging: wait until it has.
    await vi.waitFor(async () => expect(await postgresDriver.replicaLag!(pair.primary, [])).toEqual([{ replica: 'standby "dd_standby" at 127.0.0.1', seconds: 0 }]), { timeout: 20_000, interval: 200 })
    const ctx = context({ maxReplicaLag: 1 })
    const throttle = await startThrottle(ctx, { pollMs: 200 })
    try {
      expect(ctx.logged.events().map((e) => e.message)).toEqual(['throttle: pausing while replica lag exceeds 1 s; watching standby "dd_standby" at 127.0.0.1'])
      const stream = feed(throttle, ctx.logged)
      // While paused (replay still stopped), the driver itself reports the standby as behind in time and in WAL.
      await lagWhileFeeding(throttle, stream, async () => {
        const [lag] = await postgresDriver.replicaLag!(pair.primary, [])
        expect(lag).toMatchObject({ replica: 'standby "dd_standby" at 127.0.0.1', note: expect.stringMatching(/ of WAL not replayed$/) })
        expect(lag!.seconds).toBeGreaterThan(1)
      })
    } finally {
      await throttle.stop()
    }
    const events = ctx.logged.events().slice(1)
    expect(events.map((e) => [e.kind, e.stage])).toEqual([['warning', 'loadback'], ['info', 'loadback']])
    expect(events[0]!.message).toMatch(/^throttle: replica lag over 1 s, pausing the load: standby "dd_standby" at 127\.0\.0\.1 \d+\.\d s \(.* of WAL not replayed\)$/)
    expect(events[1]!.message).toMatch(/^throttle: replica lag back under 1 s \(standby "dd_standby" at 127\.0\.0\.1 0\.0 s\), load resumes after \d+\.\d s paused$/)
    expect(throttle.stats().pausedMs).toBeGreaterThan(0)
    // Caught up: the driver reports no lag.
    await vi.waitFor(async () => expect(await postgresDriver.replicaLag!(pair.primary, [])).toEqual([{ replica: 'standby "dd_standby" at 127.0.0.1', seconds: 0 }]), { timeout: 10_000 })
  })

  it('reads an explicit replica URL on the standby itself, naming it without its password', async () => {
    const replica = `postgres://postgres:${PASSWORD}@127.0.0.1:${pair.standby.port}/postgres`
    const ctx = context({ maxReplicaLag: 1, replicas: [replica] })
    const throttle = await startThrottle(ctx, { pollMs: 200 })
    try {
      await lagWhileFeeding(throttle, feed(throttle, ctx.logged))
    } finally {
      await throttle.stop()
    }
    const [start, pause, resume] = ctx.logged.events()
    const name = `postgres://postgres@127.0.0.1:${pair.standby.port}/postgres`
    expect(start!.message).toBe(`throttle: pausing while replica lag exceeds 1 s; watching ${name}`)
    expect(pause!.kind).toBe('warning')
    expect(pause!.message).toContain(`${name} `)
    expect(pause!.message).toContain('replay paused (pg_wal_replay_pause)')
    expect(resume!.kind).toBe('info')
    expect(ctx.logged.events()).toHaveLength(3)
    expect(ctx.logged.text()).not.toContain(PASSWORD)
  })

  it('refuses a replica URL that is not a standby, before any row moves', async () => {
    const ctx = context({ maxReplicaLag: 1, replicas: [endpointUrl(pair.primary)] })
    await expect(startThrottle(ctx)).rejects.toMatchObject({ code: 'DD_THROTTLE_NOT_A_REPLICA', ctx: { stage: 'loadback' } })
  })
})
