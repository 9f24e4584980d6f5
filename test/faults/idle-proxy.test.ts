/**
 * Issue 11 (items 3 and 9): production behind a proxy that cuts connections idle for 1.5 s
 * (HAProxy's inactivity timeout, scaled down). A whole run has natural idle periods: the
 * snapshot holder and workers wait while staging starts (initdb, a server boot), the source
 * lock waits through the migration (here a step that takes 3 s). Every drydock connection
 * sends a cheap statement when it has been idle for half the idle limit, so nothing is cut and
 * the run ends verified, row for row. A connection dropped silently fails on its unanswered
 * ping instead of hanging; connections cut or terminated (pg_terminate_backend) where no unit
 * retries them are a resumable stop, never DD_UNEXPECTED and never a hang.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import type { DrydockError } from '../../pipeline/errors.ts'
import type { PostgresSession } from '../../pipeline/drivers/postgres/postgres-session.ts'
import type { Session } from '../../pipeline/drivers/driver.ts'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { pipeline } from 'node:stream/promises'
import { driverFor } from '../../pipeline/drivers/registry.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { setIdleLimit } from '../../pipeline/safety/faults/keep-alive.ts'
import { hashSink, throttle } from './fault-helpers.ts'
import { configIn, expectDrydockError, onlyRun, readManifest, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.ts'
import { chosenEngines } from '../helpers/engine-choice.ts'
import * as my from '../helpers/mysql.ts'
import * as pg from '../helpers/postgres.ts'

// Three times the ping interval of idleLimitSeconds: 1, so a busy 2-core machine's pauses do not look like idleness.
const IDLE_CUT_MS = 3000

const ALL_ENGINES = [
  {
    engine: 'postgres', helpers: pg, url: pg.pgUrl, host: pg.PG_HOST, port: pg.PG_PORT, prefix: pg.uniquePrefix('idle'),
    seed: [
      'CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(12, 2))',
      "INSERT INTO orders SELECT i, 'customer ' || i, i * 1.25 FROM generate_series(1, 3000) i",
      'CREATE INDEX orders_customer ON orders (customer)',
      'CREATE TABLE notes (id int PRIMARY KEY, body text)',
      "INSERT INTO notes SELECT i, repeat('n', i % 50) FROM generate_series(1, 500) i",
    ],
  },
  {
    engine: 'mysql', helpers: my, url: my.myUrl, host: my.MY_HOST, port: my.MY_PORT, prefix: my.uniquePrefix('idle'),
    seed: [
      'CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(40) NOT NULL, total DECIMAL(12, 2), KEY orders_customer (customer))',
      "INSERT INTO orders SELECT seq, CONCAT('customer ', seq), seq * 1.25 FROM seq_1_to_3000",
      'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)',
      "INSERT INTO notes SELECT seq, REPEAT('n', seq % 50) FROM seq_1_to_500",
    ],
  },
] as const
const engines = chosenEngines(ALL_ENGINES, (e) => e.engine)

afterAll(async () => {
  for (const e of engines) await e.helpers.dropDatabasesWithPrefix(e.prefix)
  removeTempDirs()
})

describe.each(engines)('$engine behind a proxy that cuts idle connections', (e) => {
  let proxy: FaultProxy
  const viaProxy = (db: string) => e.url(db).replace(`:${e.port}/`, `:${proxy.port}/`)
  const schemaOf = (db: string) => (e.engine === 'postgres' ? 'public' : db)

  beforeAll(async () => {
    proxy = await startFaultProxy({ target: { host: e.host, port: e.port }, idleMs: IDLE_CUT_MS, cutKind: 'reset', lifetimeMs: 170_000 })
  })
  afterAll(async () => { await proxy.close() })

  it('a session left idle for twice the cut still answers, and a slow COPY through it (pings held back) has every row', async () => {
    const db = await source('session')
    setIdleLimit(1)
    const driver = await driverFor(e.engine)
    const direct = await driver.connect(parseEndpoint(e.url(db), 'source'))
    const session = await driver.connect(parseEndpoint(viaProxy(db), 'source'))
    const cutsBefore = proxy.stats.cutIdle
    try {
      // The idle period being simulated: nothing of drydock's own runs on the session meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 2 * IDLE_CUT_MS))
      expect(await session.rowCount!({ schema: schemaOf(db), name: 'orders' })).toBe(3000)
      const table = { schema: schemaOf(db), name: 'orders' }
      const expected = hashSink()
      await pipeline((await direct.readTable(table)).stream, expected)
      // The COPY stretched to about 2.5 s: longer than the idle limit, never idle on the wire.
      const slow = hashSink()
      await pipeline((await session.readTable(table)).stream, throttle(expected.bytes / 2.5), slow)
      expect(slow.digest()).toBe(expected.digest())
      expect(proxy.stats.cutIdle - cutsBefore).toBe(0)
    } finally {
      setIdleLimit()
      await Promise.all([session.close(), direct.close()])
    }
  })

  it('a connection the network dropped silently: the next statement fails, transient, instead of waiting forever', async () => {
    const db = await source('stall')
    const silent = await startFaultProxy({ target: { host: e.host, port: e.port }, lifetimeMs: 60_000 })
    setIdleLimit(1)
    const driver = await driverFor(e.engine)
    const session = await driver.connect(parseEndpoint(e.url(db).replace(`:${e.port}/`, `:${silent.port}/`), 'source'))
    try {
      expect(silent.stallAll()).toBe(1)
      // The idle period being simulated: the unanswered keep-alive ping gives up after one limit.
      await new Promise((resolve) => setTimeout(resolve, 2 * IDLE_CUT_MS))
      const error = await session.rowCount!({ schema: schemaOf(db), name: 'orders' }).then(() => undefined, (failure: unknown) => failure)
      expect(error, 'the statement should fail on the dead connection').toBeInstanceOf(Error)
      expect(driver.isTransient!(error)).toBe(true)
    } finally {
      setIdleLimit()
      await session.close()
      await silent.close()
    }
  })

  it('every production connection cut between the snapshot and staging: a resumable stop (DD_CONNECTION_LOST or DD_SNAPSHOT_LOST), and --resume ends verified', async () => {
    const db = await source('cut')
    const before = await e.helpers.tableDigests(db)
    const config = configIn(tempDir(`idle-cut-${e.engine}`), { source: viaProxy(db), staging: e.url(`${db}_stg`), idleLimitSeconds: 1, hooks: { afterMigrate: 'true' } })
    const cutAfterSnapshot = (stage: string) => { if (stage === 'snapshot') expect(proxy.cutAll()).toBeGreaterThan(0) }
    const error = await runUpgrade(config, { ...RUN_OPTIONS, afterStage: cutAfterSnapshot }).then(() => undefined, (failure: DrydockError) => failure)
    // The holder's own statement meets the cut, or (PostgreSQL) pg_dump meets the snapshot it held.
    expect(['DD_CONNECTION_LOST', 'DD_SNAPSHOT_LOST'], error?.message).toContain(error?.code)
    expect(error!.message).toMatch(/^(a connection to a database server was lost in the staging stage: |the snapshot .* is gone: the connection that held it was lost)/)
    expect(error!.ctx.hint).toContain(`rerun with --resume ${onlyRun(config)}`)
    expect(readManifest(onlyRun(config)).failure).toMatchObject({ code: error!.code, stage: 'staging' })
    const resumed = await resumeUpgrade(onlyRun(config), config, RUN_OPTIONS)
    expect(resumed.report.verdict).toBe('verified')
    expect(await e.helpers.tableDigests(db)).toEqual(before)
  })

  async function source(tag: string): Promise<string> {
    const db = `${e.prefix}_${tag}`
    await e.helpers.createDatabase(db)
    for (const statement of e.seed) await e.helpers.sql(db, statement)
    return db
  }

  it('a whole run with idle periods longer than the cut (staging start, a 7 s migration) ends verified', async () => {
    const db = await source('run')
    const before = await e.helpers.tableDigests(db)
    const dir = tempDir(`idle-${e.engine}`)
    const config = configIn(dir, {
      source: viaProxy(db), staging: 'ephemeral', idleLimitSeconds: 1, 
      // The step stands for a long migration: production's sessions sit idle meanwhile.
      migrate: [{ name: 'slow migration', command: 'sleep 7' }],
      hooks: { afterMigrate: 'true' },
    })
    const cutsBefore = proxy.stats.cutIdle
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(await e.helpers.tableDigests(db)).toEqual(before)
    expect(proxy.stats.cutIdle - cutsBefore, 'connections the proxy cut for idleness').toBe(0)
  })

})

/**
 * Item 9: production's connections terminated on the server (pg_terminate_backend) while they
 * wait for the dump. The COPY on a broken connection used to emit its error before anything
 * listened and then never end: the dump hung with 0-byte .partial files.
 */
describe.each(chosenEngines([ALL_ENGINES[0]], (e) => e.engine))('$engine: snapshot sessions terminated before the dump reads them', (postgres) => {
  const prefix = postgres.prefix
  const backend = (s: Session) => ((s as PostgresSession).client as unknown as { processID: number }).processID

  async function run(tag: string, pick: (ctx: RunContext) => Session[]) {
    const db = `${prefix}_${tag}`
    await pg.createDatabase(db)
    for (const statement of postgres.seed) await pg.sql(db, statement)
    const before = await pg.tableDigests(db)
    const config = configIn(tempDir(`idle-kill-${tag}`), { source: pg.pgUrl(db), staging: pg.pgUrl(`${db}_stg`), hooks: { afterMigrate: 'true' } })
    let killed = 0
    const terminate = async (stage: string, ctx: RunContext) => {
      if (stage !== 'staging') return
      const pids = pick(ctx).map(backend)
      killed = (await pg.sql(db, 'SELECT pg_terminate_backend(pid) AS ok FROM unnest($1::int[]) AS pid', [pids])).filter((r) => r.ok === 't').length
    }
    const outcome = await runUpgrade(config, { ...RUN_OPTIONS, afterStage: terminate }).then((r) => r, (error: unknown) => error)
    return { db, before, config, outcome, killed: () => killed }
  }

  it('the workers only: each unit is retried on a new worker of the same snapshot, and the run ends verified', async () => {
    const { db, before, outcome, killed } = await run('workers', (ctx) => ctx.sourceWorkers)
    expect(killed()).toBe(RUN_OPTIONS.jobs)
    expect(outcome).not.toBeInstanceOf(Error)
    expect((outcome as { report: { verdict: string } }).report.verdict).toBe('verified')
    expect(await pg.tableDigests(db)).toEqual(before)
  })

  it('the snapshot holder too: a resumable stop (DD_SNAPSHOT_LOST), and --resume ends verified', async () => {
    const { db, before, config, outcome, killed } = await run('holder', (ctx) => [ctx.snapshot!.holder, ...ctx.sourceWorkers])
    expect(killed()).toBe(RUN_OPTIONS.jobs + 1)
    const error = await expectDrydockError(Promise.reject(outcome), 'DD_SNAPSHOT_LOST')
    expect(error.ctx.hint).toContain(`--resume ${onlyRun(config)}`)
    expect(readdirSync(join(onlyRun(config), 'dump')).filter((f) => f.endsWith('.partial'))).toEqual([])
    const resumed = await resumeUpgrade(onlyRun(config), config, RUN_OPTIONS)
    expect(resumed.report.verdict).toBe('verified')
    expect(readManifest(onlyRun(config)).verdict).toBe('verified')
    expect(await pg.tableDigests(db)).toEqual(before)
  })
})
