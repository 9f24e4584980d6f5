/**
 * The MySQL driver's own parts (what every engine must do: test/drivers): the CSV dump format
 * through LOAD DATA with arbitrary text and bytes, a load the server would change refused, the
 * snapshot's spares, a read left unfinished cut off at close, the clear refusal when the account lacks RELOAD for the snapshot lock, and
 * what a driver learns staying with that driver (one per run).
 */
import { PassThrough } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMysqlDriver, mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import type { MysqlSession } from '../../pipeline/drivers/mysql/mysql-session.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { expectDrydockError } from '../helpers/drydock.ts'
import { createDatabase, dropDatabasesWithPrefix, myUrl, rowsAsText, sql, uniquePrefix } from '../helpers/mysql.ts'

const prefix = uniquePrefix('drv')
const endpoint = (database: string, auth?: string) => parseEndpoint(myUrl(database, auth), 'source')

describe('MySQL driver on the local MariaDB', () => {
  const from = `${prefix}_from`
  const to = `${prefix}_to`
  const user = `${prefix}_noreload`

  beforeAll(async () => {
    await createDatabase(from)
    await createDatabase(to)
    const table = 'CREATE TABLE t (id INT PRIMARY KEY, txt TEXT, vc VARCHAR(200), lat VARCHAR(200) CHARACTER SET latin1, bin VARBINARY(300))'
    await sql(from, table)
    await sql(to, table)
  })

  afterAll(async () => {
    await sql(null, `DROP USER IF EXISTS '${user}'@'127.0.0.1'`)
    await dropDatabasesWithPrefix(prefix)
  })

  it('carries any text and bytes exactly through the CSV file and LOAD DATA', async () => {
    const special = fc.constantFrom('', 'NULL', '\\N', '\\', '"', '""', ',', '\n', '\r\n', '\t', '\0', '"\n",', ' NULL ', '😀')
    const text = fc.oneof(special, fc.string({ unit: 'binary', maxLength: 40 }), fc.array(special).map((a) => a.join('')))
      .filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s)
    // Raw bytes: every one of them is a character in the server's latin1 (cp1252 with the gaps mapped).
    const latin1 = fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b))
    const cell = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 5 })
    const row = fc.tuple(cell(text), cell(text.filter((s) => [...s].length <= 200)), cell(latin1), cell(fc.uint8Array({ maxLength: 300 })))
    const source = await mysqlDriver.connect(endpoint(from))
    const target = await mysqlDriver.connect(endpoint(to))
    try {
      await fc.assert(fc.asyncProperty(fc.array(row, { maxLength: 12 }), async (rows) => {
        await sql(from, 'TRUNCATE t')
        for (const [i, r] of rows.entries()) {
          await sql(from, 'INSERT INTO t VALUES (?, ?, ?, ?, ?)', [i, r[0], r[1], r[2], r[3] === null ? null : Buffer.from(r[3])])
        }
        const reader = await source.readTable({ schema: from, name: 't' })
        const file = await buffer(reader.stream)
        expect(reader.rows()).toBe(rows.length)
        const copy = new PassThrough()
        copy.end(file)
        expect(await target.writeTable({ schema: from, name: 't' }, copy, [])).toBe(rows.length)
        expect(await rowsAsText(to, 't', 'id')).toEqual(await rowsAsText(from, 't', 'id'))
        expect(await target.checksum({ schema: to, name: 't' })).toEqual(await source.checksum({ schema: from, name: 't' }))
      }), { numRuns: 40 })
    } finally {
      await source.close()
      await target.close()
    }
  })

  it('fails (and rolls back) a load the server would silently change', async () => {
    await sql(to, 'CREATE TABLE narrow (id INT PRIMARY KEY, s VARCHAR(2))')
    const session = await mysqlDriver.connect(endpoint(to))
    try {
      const rows = new PassThrough()
      rows.end('"1","ok"\n"2","too long"\n')
      const error = await expectDrydockError(session.writeTable({ schema: to, name: 'narrow' }, rows, []), 'DD_LOAD_WARNINGS')
      expect(error.message).toMatch(/Data too long|truncated/i)
      expect(await rowsAsText(to, 'narrow')).toEqual([])
    } finally {
      await session.close()
    }
  })

  it('gives every worker the same snapshot, whatever is written after it', async () => {
    await sql(from, "TRUNCATE t; INSERT INTO t (id, txt) VALUES (1, 'before')")
    const snapshot = await mysqlDriver.openSnapshot(endpoint(from), 3)
    try {
      expect(snapshot.position).toMatch(/^binlog /)
      await sql(from, "INSERT INTO t (id, txt) VALUES (2, 'after'); UPDATE t SET txt = 'changed' WHERE id = 1")
      // Three workers, then the three spares that replace lost ones: all at the same instant.
      const workers = []
      for (let i = 0; i < 6; i++) workers.push(await snapshot.worker())
      const sums = await Promise.all(workers.map((w) => w.checksum({ schema: from, name: 't' })))
      expect(sums.map((s) => s.rows)).toEqual([1, 1, 1, 1, 1, 1])
      expect(new Set(sums.map((s) => s.digest)).size).toBe(1)
      const error = await expectDrydockError(snapshot.worker(), 'DD_SNAPSHOT_LOST')
      expect(error.ctx.hint).toContain('--resume')
    } finally {
      await snapshot.close()
    }
  })

  it('keeps what it learns to itself: a database one run keeps out of the binary log is logged for another run', async () => {
    const [keeping, other] = [createMysqlDriver(), createMysqlDriver()]
    await keeping.directReplicas!.skipLog(endpoint(from), from)
    const logged = async (driver: typeof mysqlDriver) => {
      const session = await driver.connect(endpoint(from)) as MysqlSession
      try {
        return (await session.conn.query('SELECT @@SESSION.sql_log_bin AS v'))[0]!.v
      } finally {
        await session.close()
      }
    }
    expect(await logged(keeping)).toBe('0')
    expect(await logged(other)).toBe('1')
    expect(await logged(mysqlDriver)).toBe('1')
  })

  it('cuts a read left unfinished off at close instead of receiving the rest of the table', async () => {
    // 40 MB: far more than socket buffers hold, so a close that drains would receive it all.
    await sql(from, 'CREATE TABLE wide (id INT PRIMARY KEY, pad LONGTEXT)')
    await sql(from, "INSERT INTO wide SELECT seq, REPEAT('x', 4000) FROM seq_1_to_10000")
    const session = await mysqlDriver.connect(endpoint(from)) as MysqlSession
    const reader = await session.readTable({ schema: from, name: 'wide' })
    for await (const chunk of reader.stream) if ((chunk as Buffer).length > 0) break
    await session.close()
    const socket = (session.conn.raw as unknown as { stream: { bytesRead: number } }).stream
    expect(socket.bytesRead).toBeGreaterThan(0)
    expect(socket.bytesRead).toBeLessThan(10e6)
  })

  it('names the RELOAD privilege when the snapshot lock is refused', async () => {
    await sql(null, `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'pw-${prefix}'`)
    await sql(null, `GRANT SELECT ON \`${from}\`.* TO '${user}'@'127.0.0.1'`)
    const error = await expectDrydockError(mysqlDriver.openSnapshot(endpoint(from, `${user}:pw-${prefix}`), 2), 'DD_SNAPSHOT_PRIVILEGE')
    expect(error.message).toMatch(/RELOAD/)
    expect(error.ctx.hint).toMatch(/GRANT RELOAD ON \*\.\*/)
  })
})
