/**
 * The throttle against a REAL MariaDB replica: a stopped SQL thread counts as lagging (and the
 * log says so), a delayed replica's Seconds_Behind_Master over the limit pauses too, and the
 * streams go on once the replica is back.
 */
import { createHash } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parseConfig } from '../../pipeline/config/config.ts'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { systemClock } from '../../pipeline/safety/throttle/rate-limit.ts'
import { startThrottle, type Throttle } from '../../pipeline/safety/throttle/throttle.ts'
import { eventLog } from './events.ts'
import { hasMariadbBinaries, type MariadbPair, startMariadbPair } from './mariadb-pair.ts'
import { type Received, recordingSink } from './streams.ts'

const PASSWORD = 's3cret-maria-pw'
let pair: MariadbPair
const logs: ReturnType<typeof eventLog>[] = []
const url = (port: number) => `mysql://drydock:${PASSWORD}@127.0.0.1:${port}/app`
const name = (port: number) => `mysql://drydock@127.0.0.1:${port}/app`

describe.skipIf(!hasMariadbBinaries())('replica lag on a MariaDB replica', () => {
  beforeAll(async () => {
    pair = await startMariadbPair('drydock', PASSWORD)
    await pair.sql('primary', 'CREATE DATABASE app')
    await pair.sql('primary', 'CREATE TABLE app.filler (id int PRIMARY KEY, pad text)')
    await vi.waitFor(async () => expect(await pair.sql('replica', "SHOW TABLES FROM app LIKE 'filler'")).toHaveLength(1), { timeout: 20_000 })
    await replicating()
  }, 60_000)

  afterAll(async () => {
    await pair?.stop()
    logs.forEach((l) => l.remove())
  })

  /** Until both replication threads run again (a restarted I/O thread is "Connecting" for a moment). */
  async function replicating(): Promise<void> {
    await vi.waitFor(async () => expect(await pair.sql('replica', 'SHOW SLAVE STATUS')).toEqual([expect.objectContaining({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' })]), { timeout: 20_000 })
  }

  /** The replica applies each event `seconds` after the primary wrote it. */
  async function setDelay(seconds: number): Promise<void> {
    await pair.sql('replica', 'STOP SLAVE')
    await pair.sql('replica', `CHANGE MASTER TO MASTER_DELAY = ${seconds}`)
    await pair.sql('replica', 'START SLAVE')
    await replicating()
  }

  function context(throttle: Record<string, unknown>) {
    const logged = eventLog()
    logs.push(logged)
    const config = parseConfig({ source: url(pair.primaryPort), throttle }, '/srv/upgrade.config.mjs')
    return { config, driver: mysqlDriver, log: logged.log, signal: new AbortController().signal, logged }
  }

  /**
   * Feeds a chunk, makes the replica lag with `lag`, feeds a second chunk once the throttle has
   * paused, then ends the lag with `recover`. Held means: the second chunk reaches the sink only
   * after `recover` began and the watcher logged the resume (checked when the chunk arrives, so
   * no sleep decides it).
   */
  async function heldWhile(throttle: Throttle, logged: ReturnType<typeof eventLog>, lag: () => Promise<void>, recover: () => Promise<void>): Promise<void> {
    const source = new PassThrough()
    const received: Received[] = []
    let recovering = false
    const seenAtArrival: { recovering: boolean; resumes: number }[] = []
    const resumes = () => logged.events().filter((e) => e.kind === 'info' && e.message.includes('back under')).length
    const sink = recordingSink(systemClock, received, 0, () => seenAtArrival.push({ recovering, resumes: resumes() }))
    const done = pipeline([source, ...throttle.through(), sink])
    source.write('before\n')
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 10_000 })
    await lag()
    await vi.waitFor(() => expect(throttle.stats().pauses).toBe(1), { timeout: 20_000, interval: 100 })
    source.write('during\n')
    recovering = true
    await recover()
    await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 30_000, interval: 100 })
    source.end('after\n')
    await done
    expect(seenAtArrival.slice(0, 2)).toEqual([{ recovering: false, resumes: 0 }, { recovering: true, resumes: 1 }])
    expect(sink.sha256()).toBe(createHash('sha256').update('before\nduring\nafter\n').digest('hex'))
  }

  it('a stopped SQL thread pauses the load, and the log says why', async () => {
    const ctx = context({ maxReplicaLag: 5, replicas: [url(pair.replicaPort)] })
    const throttle = await startThrottle(ctx, { pollMs: 200 })
    try {
      await heldWhile(throttle, ctx.logged, async () => {
        await pair.sql('replica', 'STOP SLAVE SQL_THREAD')
        await pair.sql('primary', "INSERT INTO app.filler SELECT seq, repeat('x', 100) FROM app.seq_1_to_5000")
      }, async () => {
        await pair.sql('replica', 'START SLAVE SQL_THREAD')
      })
    } finally {
      await throttle.stop()
    }
    const events = ctx.logged.events()
    expect(events.map((e) => e.kind)).toEqual(['info', 'warning', 'info'])
    expect(events[0]!.message).toBe(`throttle: pausing while replica lag exceeds 5 s; watching ${name(pair.replicaPort)}`)
    expect(events[1]!.message).toBe(`throttle: replica lag over 5 s, pausing the load: ${name(pair.replicaPort)} lag unknown (SQL thread stopped (Slave_SQL_Running: No))`)
    expect(events[2]!.message).toMatch(new RegExp(`^throttle: replica lag back under 5 s \\(${name(pair.replicaPort).replace(/[./]/g, '\\$&')} \\d+\\.0 s\\), load resumes after \\d+\\.\\d s paused$`))
    expect(ctx.logged.text()).not.toContain(PASSWORD)
  })

  it('Seconds_Behind_Master over the limit pauses the load (a delayed replica)', async () => {
    // A delay far longer than the test, so the pause lasts until the test lifts the delay.
    await setDelay(600)
    const ctx = context({ maxReplicaLag: 1, replicas: [url(pair.replicaPort)] })
    const throttle = await startThrottle(ctx, { pollMs: 200 })
    try {
      await heldWhile(throttle, ctx.logged, async () => {
        await pair.sql('primary', 'UPDATE app.filler SET pad = NULL WHERE id <= 100')
      }, async () => {
        await setDelay(0)
      })
    } finally {
      await throttle.stop()
      await setDelay(0)
    }
    const [, pause, resume] = ctx.logged.events()
    expect(pause!.message).toMatch(/pausing the load: mysql:\/\/drydock@127\.0\.0\.1:\d+\/app \d+\.0 s$/)
    expect(resume!.kind).toBe('info')
  })

  it('refuses to run blind: a replica is connected but throttle.replicas lists none', async () => {
    await expect(startThrottle(context({ maxReplicaLag: 5 }))).rejects.toMatchObject({
      code: 'DD_THROTTLE_REPLICAS_UNLISTED',
      message: expect.stringContaining(`1 replica(s) read the binary log of mysql://drydock@127.0.0.1:${pair.primaryPort}/app`),
    })
  })

  it('refuses a replica URL that is not a replica', async () => {
    await expect(startThrottle(context({ maxReplicaLag: 5, replicas: [url(pair.primaryPort)] }))).rejects.toMatchObject({ code: 'DD_THROTTLE_NOT_A_REPLICA' })
  })
})
