/**
 * withRetry's contract (backoff bounds, non-transient errors pass through, exhaustion names the
 * unit, Ctrl-C stops the wait) and each driver's isTransient on errors the real servers raise:
 * a terminated backend, a killed connection, a lock wait timeout are transient; syntax,
 * constraint, authentication and disk-full errors never are.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import type { MysqlSession } from '../../pipeline/drivers/mysql/mysql-session.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import type { PostgresSession } from '../../pipeline/drivers/postgres/postgres-session.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { DrydockError } from '../../pipeline/errors.ts'
import { backoffDelay, type RetryInfo, withRetry } from '../../pipeline/safety/faults/retry.ts'
import { isNetworkTransient } from '../../pipeline/safety/faults/transient.ts'
import { expectDrydockError, removeTempDirs, tempDir } from '../helpers/drydock.ts'
import * as my from '../helpers/mysql.ts'
import * as pgh from '../helpers/postgres.ts'

const transientError = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })

describe('backoffDelay', () => {
  it('doubles from baseMs, stays between half and all of it, and never passes maxMs', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 100, 10_000, () => 0))).toEqual([50, 100, 200, 400])
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 100, 10_000, () => 0.999999))).toEqual([100, 200, 400, 800])
    expect(backoffDelay(30, 100, 5000, () => 0.999999)).toBe(5000)
    expect(backoffDelay(30, 100, 5000, () => 0)).toBe(2500)
  })
})

describe('withRetry', () => {
  it('retries transient failures with growing waits and returns the result', async () => {
    const seen: RetryInfo[] = []
    let calls = 0
    const value = await withRetry('dump public.t', async (attempt) => {
      calls++
      if (attempt < 3) throw transientError()
      return 'ok'
    }, { baseMs: 10, random: () => 0.5, onRetry: (i) => { seen.push(i) } })
    expect(value).toBe('ok')
    expect(calls).toBe(3)
    expect(seen.map((s) => [s.unit, s.attempt, s.attempts, s.delayMs])).toEqual([['dump public.t', 1, 4, 8], ['dump public.t', 2, 4, 15]])
  })

  it('rethrows an error that is not transient at once, as it is', async () => {
    const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' })
    let calls = 0
    const caught = await withRetry('checksum public.t', async () => { calls++; throw syntax }, { baseMs: 1, isTransient: postgresDriver.isTransient! })
      .catch((e: unknown) => e)
    expect(caught).toBe(syntax)
    expect(calls).toBe(1)
  })

  it('after the last attempt: DD_TRANSIENT_EXHAUSTED naming the unit, the attempts and the cause, with the cause kept', async () => {
    const error = await expectDrydockError(withRetry('load public.orders', async () => { throw transientError() },
      { attempts: 3, baseMs: 1, context: { stage: 'load', table: 'public.orders' } }), 'DD_TRANSIENT_EXHAUSTED')
    expect(error.message).toBe('load public.orders failed 3 times on transient errors; the last one: read ECONNRESET')
    expect(error.ctx).toEqual({
      stage: 'load', table: 'public.orders',
      hint: 'the server or the network kept failing: check them, then rerun with --resume to continue from this unit',
    })
    expect((error.cause as Error).message).toBe('read ECONNRESET')
    expect(error.describe()).toBe('load: table public.orders: load public.orders failed 3 times on transient errors; the last one: read ECONNRESET\n  → the server or the network kept failing: check them, then rerun with --resume to continue from this unit')
  })

  it('stops waiting at once when the signal aborts (Ctrl-C), with the abort reason', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const pending = withRetry('dump public.t', async () => { throw transientError() }, { baseMs: 60_000, signal: controller.signal })
    setTimeout(() => controller.abort(new DrydockError('DD_INTERRUPTED', 'interrupted')), 30)
    const error = await expectDrydockError(pending, 'DD_INTERRUPTED')
    expect(error.message).toBe('interrupted')
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

describe('generic classification', () => {
  it('network failures are transient; full disks, permissions and drydock decisions are not', () => {
    expect(isNetworkTransient(transientError())).toBe(true)
    expect(isNetworkTransient(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true)
    expect(isNetworkTransient(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isNetworkTransient(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))).toBe(false)
    expect(isNetworkTransient(Object.assign(new Error('EACCES'), { code: 'EACCES' }))).toBe(false)
    expect(isNetworkTransient(new DrydockError('DD_DUMP_CORRUPT', 'changed'))).toBe(false)
    expect(isNetworkTransient(new DrydockError('DD_UNREACHABLE', 'cannot reach', {}, { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }))).toBe(true)
    expect(isNetworkTransient(new DrydockError('DD_UNREACHABLE', 'cannot reach', {}, { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) }))).toBe(false)
    expect(isNetworkTransient(new Error('something else'))).toBe(false)
  })

  it('a disk full while writing a dump file is not transient (a real ENOSPC is not needed: the code decides)', async () => {
    const dir = tempDir('flt-enospc')
    const real = await writeFile(join(dir, 'x'), 'x').then(() => undefined)
    expect(real).toBeUndefined()
    expect(postgresDriver.isTransient!(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', errno: -28 }))).toBe(false)
    expect(mysqlDriver.isTransient!(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', errno: -28 }))).toBe(false)
    removeTempDirs()
  })
})

describe('PostgreSQL errors from the real server', () => {
  const prefix = pgh.uniquePrefix('flt')
  const db = `${prefix}_cls`
  const ep = parseEndpoint(pgh.pgUrl(db), 'source')
  const t = postgresDriver.isTransient!
  beforeAll(async () => {
    await pgh.createDatabase(db)
    await pgh.sql(db, 'CREATE TABLE t (id int PRIMARY KEY)')
    await pgh.sql(db, 'INSERT INTO t VALUES (1)')
  })
  afterAll(async () => { await pgh.dropDatabasesWithPrefix(prefix) })

  const failing = async (run: (s: PostgresSession) => Promise<unknown>) => {
    const s = await postgresDriver.connect(ep) as PostgresSession
    try { return await run(s).then(() => undefined, (e: unknown) => e) } finally { await s.close() }
  }

  it('transient: terminated by the administrator (57P01), a statement timeout (57014), a lock timeout (55P03)', async () => {
    const pidOf = async (s: PostgresSession) => (await s.client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number
    const terminated = await failing(async (s) => {
      const pid = await pidOf(s)
      // A handler from the start: the rejection may come before the await below.
      const pending = s.client.query('SELECT pg_sleep(5)').then(() => undefined, (e: unknown) => e)
      await vi.waitFor(async () => expect(await pgh.sql(pgh.PG_ADMIN_DB,
        "SELECT 1 AS running FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query = 'SELECT pg_sleep(5)'", [pid])).toHaveLength(1),
      { timeout: 10_000, interval: 20 })
      await pgh.sql(pgh.PG_ADMIN_DB, 'SELECT pg_terminate_backend($1)', [pid])
      const error = await pending
      if (error) throw error
    })
    expect((terminated as { code?: string }).code).toBe('57P01')
    expect(t(terminated)).toBe(true)
    // Terminated while idle: the next statement finds the connection gone.
    const gone = await failing(async (s) => {
      // Only 'end': events.once would also reject on the FATAL 'error' the termination emits.
      const ended = new Promise<void>((resolve) => s.client.once('end', () => resolve()))
      await pgh.sql(pgh.PG_ADMIN_DB, 'SELECT pg_terminate_backend($1)', [await pidOf(s)])
      await ended
      await s.client.query('SELECT 1')
    })
    expect(gone).toBeInstanceOf(Error)
    expect(t(gone)).toBe(true)
    const timeout = await failing((s) => s.client.query("SET statement_timeout = '50ms'; SELECT pg_sleep(1)"))
    expect((timeout as { code?: string }).code).toBe('57014')
    expect(t(timeout)).toBe(true)
    const holder = await postgresDriver.connect(ep) as PostgresSession
    try {
      await holder.client.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE')
      const locked = await failing((s) => s.client.query("SET lock_timeout = '50ms'; SELECT * FROM t"))
      expect((locked as { code?: string }).code).toBe('55P03')
      expect(t(locked)).toBe(true)
    } finally {
      await holder.close()
    }
    expect(t(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(true)
    expect(t(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true)
    expect(t(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe(true)
  })

  it('never transient: syntax (42601), unique violation (23505), disk full (53100), a refused login, an operator cancel', async () => {
    const syntax = await failing((s) => s.client.query('SELEC 1'))
    expect([(syntax as { code?: string }).code, t(syntax)]).toEqual(['42601', false])
    const duplicate = await failing((s) => s.client.query('INSERT INTO t VALUES (1)'))
    expect([(duplicate as { code?: string }).code, t(duplicate)]).toEqual(['23505', false])
    expect(t(Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }))).toBe(false)
    const login = await postgresDriver.connect({ ...ep, database: `${prefix}_missing` }).then(() => undefined, (e: unknown) => e)
    expect((login as DrydockError).code).toBe('DD_DATABASE_MISSING')
    expect(t(login)).toBe(false)
    expect(t(Object.assign(new Error('canceling statement due to user request'), { code: '57014' }))).toBe(false)
  })
})

describe('MySQL errors from the real server', () => {
  const prefix = my.uniquePrefix('flt')
  const db = `${prefix}_cls`
  const ep = parseEndpoint(my.myUrl(db), 'source')
  const t = mysqlDriver.isTransient!
  beforeAll(async () => {
    await my.createDatabase(db)
    await my.sql(db, 'CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB; INSERT INTO t VALUES (1)')
  })
  afterAll(async () => { await my.dropDatabasesWithPrefix(prefix) })

  const failing = async (run: (s: MysqlSession) => Promise<unknown>) => {
    const s = await mysqlDriver.connect(ep) as MysqlSession
    try { return await run(s).then(() => undefined, (e: unknown) => e) } finally { await s.close() }
  }

  it('transient: a killed connection, a lock wait timeout (1205), a shutdown (1053), a deadlock (1213)', async () => {
    const killed = await failing(async (s) => {
      const [{ id }] = await s.conn.query('SELECT CONNECTION_ID() AS id') as [{ id: string }]
      const pending = s.conn.query('DO SLEEP(5)').then(() => undefined, (e: unknown) => e)
      await vi.waitFor(async () => expect(await my.sql(null,
        "SELECT 1 AS running FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO = 'DO SLEEP(5)'", [Number(id)])).toHaveLength(1),
      { timeout: 10_000, interval: 20 })
      await my.sql(null, `KILL CONNECTION ${Number(id)}`)
      const error = await pending
      if (error) throw error
    })
    expect(killed).toBeInstanceOf(Error)
    expect(t(killed)).toBe(true)
    const holder = await mysqlDriver.connect(ep) as MysqlSession
    try {
      await holder.conn.query('START TRANSACTION')
      await holder.conn.query('SELECT * FROM t FOR UPDATE')
      const waited = await failing(async (s) => {
        await s.conn.query('SET SESSION innodb_lock_wait_timeout = 1')
        await s.conn.query('UPDATE t SET id = 2 WHERE id = 1')
      })
      expect([(waited as { errno?: number }).errno, t(waited)]).toEqual([1205, true])
    } finally {
      await holder.close()
    }
    expect(t(Object.assign(new Error('Server shutdown in progress'), { errno: 1053, code: 'ER_SERVER_SHUTDOWN' }))).toBe(true)
    expect(t(Object.assign(new Error('Deadlock found'), { errno: 1213, code: 'ER_LOCK_DEADLOCK', sqlState: '40001' }))).toBe(true)
    expect(t(Object.assign(new Error('MySQL server has gone away'), { errno: 2006 }))).toBe(true)
    expect(t(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))).toBe(true)
  })

  it('never transient: syntax (1064), duplicate key (1062), a refused login, disk full (1021, error 28)', async () => {
    const syntax = await failing((s) => s.conn.query('SELEC 1'))
    expect([(syntax as { errno?: number }).errno, t(syntax)]).toEqual([1064, false])
    const duplicate = await failing((s) => s.conn.query('INSERT INTO t VALUES (1)'))
    expect([(duplicate as { errno?: number }).errno, t(duplicate)]).toEqual([1062, false])
    const login = await mysqlDriver.connect(parseEndpoint(`mysql://nobody_flt:wrong-pw@${my.MY_HOST}:${my.MY_PORT}/${db}`, 'source')).then(() => undefined, (e: unknown) => e)
    expect((login as DrydockError).code).toBe('DD_AUTH_FAILED')
    expect(t(login)).toBe(false)
    expect(t(Object.assign(new Error('Disk full'), { errno: 1021 }))).toBe(false)
    expect(t(Object.assign(new Error('Got error 28 "No space left on device" from storage engine InnoDB'), { errno: 1030 }))).toBe(false)
  })
})
