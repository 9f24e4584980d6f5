/**
 * Each engine behind a misbehaving network (test/helpers/fault-proxy.ts): every drydock
 * connection has TCP keepalive; a long COPY / LOAD DATA through a proxy that drops idle
 * connections after 2 s survives because bytes keep flowing; a session that sits silent longer
 * than that is cut, and the cut is classified transient; dumps and loads cut mid-transfer, and
 * connections refused for a while, are recovered by withRetry on new connections, with equal
 * checksums.
 */
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Driver, Session } from '../../pipeline/drivers/driver.ts'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import type { MysqlSession } from '../../pipeline/drivers/mysql/mysql-session.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import type { PostgresSession } from '../../pipeline/drivers/postgres/postgres-session.ts'
import { tableToFile } from '../../pipeline/transfer/table-to-file.ts'
import { type Endpoint, parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { type RetryInfo, withRetry, withRetrySession } from '../../pipeline/safety/faults/retry.ts'
import { fileToTable } from '../../pipeline/transfer/file-to-table.ts'
import { expectDrydockError, removeTempDirs, tempDir } from '../helpers/drydock.ts'
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.ts'
import { chosenEngines } from '../helpers/engine-choice.ts'
import * as my from '../helpers/mysql.ts'
import * as pg from '../helpers/postgres.ts'
import { hashSink, socketTimer, throttle } from './fault-helpers.ts'

const ROWS = 45_000
const DDL = 'CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL, note text)'

interface EngineUnderTest {
  readonly name: string
  readonly server: string
  readonly driver: Driver
  readonly host: string
  readonly port: number
  readonly helpers: typeof pg | typeof my
  readonly url: (db: string) => string
  readonly prefix: string
  readonly rows: string
  readonly schemaOf: (db: string) => string
  readonly localPort: (session: Session) => number
  readonly sleep: (session: Session, seconds: number) => Promise<unknown>
  /** Text only the checksum's statement sends. */
  readonly checksumMarker: string
}

const engines = chosenEngines<EngineUnderTest>([
  {
    name: 'PostgreSQL', server: 'PostgreSQL', driver: postgresDriver, host: pg.PG_HOST, port: pg.PG_PORT, helpers: pg, url: pg.pgUrl, prefix: pg.uniquePrefix('flt'),
    rows: `INSERT INTO big SELECT i, repeat(md5(i::text), 8), CASE WHEN i % 7 = 0 THEN NULL ELSE E'tab\\there' END FROM generate_series(1, ${ROWS}) i`,
    schemaOf: () => 'public',
    checksumMarker: 'hashtextextended(',
    localPort: (s) => ((s as PostgresSession).client as unknown as { connection: { stream: { localPort: number } } }).connection.stream.localPort,
    sleep: (s, seconds) => (s as PostgresSession).client.query(`SELECT pg_sleep(${seconds})`),
  },
  {
    name: 'MariaDB', server: 'MySQL', driver: mysqlDriver, host: my.MY_HOST, port: my.MY_PORT, helpers: my, url: my.myUrl, prefix: my.uniquePrefix('flt'),
    rows: `INSERT INTO big SELECT seq, REPEAT(MD5(seq), 8), IF(seq % 7 = 0, NULL, 'tab\\there "q"') FROM seq_1_to_${ROWS}`,
    schemaOf: (db) => db,
    checksumMarker: 'CONV(LEFT(SHA1(',
    localPort: (s) => ((s as MysqlSession).conn.raw as unknown as { stream: { localPort: number } }).stream.localPort,
    sleep: (s, seconds) => (s as MysqlSession).conn.query(`DO SLEEP(${seconds})`),
  },
], (e) => (e.name === 'PostgreSQL' ? 'postgres' : 'mysql'))

afterAll(async () => {
  for (const e of engines) await e.helpers.dropDatabasesWithPrefix(e.prefix)
  removeTempDirs()
})

describe.each(engines)('$name behind a misbehaving network', (e) => {
  const src = `${e.prefix}_src`
  const dst = `${e.prefix}_dst`
  const TABLE = { schema: e.schemaOf(src), name: 'big' }
  const driver = e.driver
  const direct = (db: string) => parseEndpoint(e.url(db), 'source')
  const via = (proxy: FaultProxy, db: string): Endpoint => ({ ...direct(db), port: proxy.port })

  let dir: string

  beforeAll(async () => {
    dir = tempDir(`flt-${e.port}`)
    await e.helpers.createDatabase(src)
    await e.helpers.createDatabase(dst)
    await e.helpers.sql(src, `${DDL}; ${e.rows}`)
    await e.helpers.sql(dst, DDL)
    await driver.probe(direct(src))
  })

  async function checksumDirect(db: string) {
    const session = await driver.connect(direct(db))
    try { return await session.checksum(TABLE) } finally { await session.close() }
  }

  describe('keepalive', () => {
    it('every drydock connection has TCP keepalive armed', async () => {
      const session = await driver.connect(direct(src))
      try {
        const port = e.localPort(session)
        expect(socketTimer(port)).toBe('keepalive')
      } finally {
        await session.close()
      }
    })
  })

  describe('a proxy that drops connections idle for 2 s', () => {
    let proxy: FaultProxy
    beforeAll(async () => { proxy = await startFaultProxy({ target: { host: e.host, port: e.port }, idleMs: 2000, lifetimeMs: 60_000 }) })
    afterAll(async () => { await proxy.close() })

    it('lets a slow multi-MB COPY TO through (bytes flow, so it is never idle)', async () => {
      const session = await driver.connect(via(proxy, src))
      const started = Date.now()
      try {
        const reader = await session.readTable(TABLE)
        const sink = hashSink()
        await pipeline(reader.stream, throttle(4e6), sink)
        expect(reader.rows()).toBe(ROWS)
        expect(sink.bytes).toBeGreaterThan(10e6)
      } finally {
        await session.close()
      }
      expect(Date.now() - started).toBeGreaterThan(2500)
      expect(proxy.stats.cutIdle).toBe(0)
    })

    it('lets a slow multi-MB COPY FROM through, and the copy is exact', async () => {
      const record = await withRetrySession('dump public.big', { connect: () => driver.connect(direct(src)) }, (s) => tableToFile(s, TABLE, dir, `slow.${driver.fileExtension}`))
      const session = await driver.connect(via(proxy, dst))
      const started = Date.now()
      try {
        const rows = await session.writeTable(TABLE, createReadStream(join(dir, record.file)), [throttle(4e6)])
        expect(rows).toBe(ROWS)
      } finally {
        await session.close()
      }
      expect(Date.now() - started).toBeGreaterThan(2500)
      expect(proxy.stats.cutIdle).toBe(0)
      expect(await checksumDirect(dst)).toEqual(await checksumDirect(src))
    })

    it('cuts a session that stays silent longer than the limit (a long statement), and the error is transient', async () => {
      const session = await driver.connect(via(proxy, src))
      try {
        const error = await e.sleep(session, 3).then(() => undefined, (failure: unknown) => failure)
        expect(error, 'the silent statement should have been cut').toBeInstanceOf(Error)
        expect(driver.isTransient!(error)).toBe(true)
        expect(proxy.stats.cutIdle).toBe(1)
      } finally {
        await session.close()
      }
    })
  })

  describe('cuts and refusals, recovered by withRetry on new connections', () => {
    let proxy: FaultProxy
    beforeAll(async () => { proxy = await startFaultProxy({ target: { host: e.host, port: e.port }, lifetimeMs: 60_000 }) })
    afterAll(async () => { await proxy.close() })

    it('a dump cut after 1 MB is done again on a new connection; a load cut after 1 MB too; checksums equal', async () => {
      const retries: RetryInfo[] = []
      const options = { baseMs: 50, onRetry: (info: RetryInfo) => { retries.push(info) } }
      const connect = { connect: () => driver.connect(via(proxy, src)), isTransient: driver.isTransient! }
      proxy.armCut(1_000_000, 1)
      const record = await withRetrySession('dump public.big', connect, (s) => tableToFile(s, TABLE, dir, `cut.${driver.fileExtension}`), options)
      expect(record.rows).toBe(ROWS)
      expect(retries).toHaveLength(1)
      expect(retries[0]).toMatchObject({ unit: 'dump public.big', attempt: 1, attempts: 4 })
      expect(driver.isTransient!(retries[0]!.error)).toBe(true)

      proxy.armCut(1_000_000, 1)
      const rows = await withRetrySession('load public.big', { connect: () => driver.connect(via(proxy, dst)), isTransient: driver.isTransient! },
        (s) => fileToTable(s, TABLE, dir, record), options)
      expect(rows).toBe(ROWS)
      expect(retries).toHaveLength(2)
      expect(proxy.stats.cutBytes).toBe(2)
      expect(await checksumDirect(dst)).toEqual(await checksumDirect(src))
    })

    it('a checksum whose connection is cut mid-query is done again', async () => {
      let attempts = 0
      const cutsBefore = proxy.stats.cutQuery
      // Cut when the checksum's statement crosses the proxy, not after a delay: on a busy machine
      // a timer can fire before the query is sent or after its answer came back.
      proxy.armCutOnQuery(e.checksumMarker, 1)
      const sum = await withRetrySession('checksum public.big', { connect: () => driver.connect(via(proxy, src)), isTransient: driver.isTransient! }, async (s) => {
        attempts++
        return s.checksum(TABLE)
      }, { baseMs: 50 })
      expect(proxy.stats.cutQuery - cutsBefore).toBe(1)
      expect(attempts).toBe(2)
      expect(sum).toEqual(await checksumDirect(src))
    })

    it('connections refused for 1.2 s (a restarting server): the unit waits and succeeds', async () => {
      // Refusing from this call on (the listener closes synchronously).
      const refusing = proxy.refuseFor(1200)
      const started = Date.now()
      const sum = await withRetrySession('checksum public.big', { connect: () => driver.connect(via(proxy, src)), isTransient: driver.isTransient! },
        (s) => s.checksum(TABLE), { baseMs: 400, attempts: 6 })
      await refusing
      expect(Date.now() - started).toBeGreaterThan(1000)
      expect(sum).toEqual(await checksumDirect(src))
    })

    it('gives up after the last attempt with DD_TRANSIENT_EXHAUSTED naming the unit, the attempts and the cause', async () => {
      const refusing = proxy.refuseFor(1500)
      const error = await expectDrydockError(withRetry('dump public.big', () => driver.connect(via(proxy, src)).then((s) => s.close()),
        { attempts: 3, baseMs: 20, maxMs: 40, isTransient: driver.isTransient! }), 'DD_TRANSIENT_EXHAUSTED')
      await refusing
      expect(error.message).toBe(`dump public.big failed 3 times on transient errors; the last one: cannot reach ${e.server} at 127.0.0.1:${proxy.port} (ECONNREFUSED)`)
      expect(error.ctx.hint).toBe('the server or the network kept failing: check them, then rerun with --resume to continue from this unit')
    })
  })
})
