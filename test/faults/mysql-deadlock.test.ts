/**
 * MariaDB: two parts of one table cleared and loaded side by side (a resumed load) must not
 * deadlock on each other's gap locks, and a real deadlock is transient (retried on a new
 * connection; the server already rolled the victim's transaction back).
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PartRange } from '../../pipeline/drivers/driver.ts'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import type { MysqlSession } from '../../pipeline/drivers/mysql/mysql-session.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import * as my from '../helpers/mysql.ts'

const prefix = my.uniquePrefix('dlk')
const db = `${prefix}_stg`
const TABLE = { schema: db, name: 'big' }

afterAll(async () => { await my.dropDatabasesWithPrefix(prefix) })

beforeAll(async () => {
  await my.createDatabase(db)
  // Empty, as on a resume where no part committed: both DELETEs lock the one gap (to the supremum).
  await my.sql(db, 'CREATE TABLE big (id BIGINT PRIMARY KEY, v TEXT)')
})

const connect = async () => await mysqlDriver.connect(parseEndpoint(my.myUrl(db), 'staging')) as MysqlSession

/** A source whose rows are given later; `reading` settles once LOAD DATA asks for bytes (its DELETE is done). */
function heldSource(): { stream: Readable; reading: Promise<void>; give(from: number, to: number): void } {
  let started!: () => void
  const reading = new Promise<void>((resolve) => { started = resolve })
  const stream = new Readable({ read: () => started() })
  return {
    stream, reading,
    give(from, to) {
      const lines: string[] = []
      for (let id = from; id < to; id++) lines.push(`"${id}","row ${id}"\n`)
      stream.push(lines.join(''))
      stream.push(null)
    },
  }
}

const range = (from: number, to: number): PartRange => ({ kind: 'key', column: 'id', from: String(from), to: String(to) })

describe('MariaDB: parts of one table loaded side by side', () => {
  it('two parts that clear their key range first both commit (no gap-lock deadlock), each row once', async () => {
    const [a, b] = [await connect(), await connect()]
    try {
      const first = heldSource()
      const second = heldSource()
      // Both DELETEs run before either part inserts a row: the order that deadlocked under REPEATABLE READ.
      const loadingA = a.writeTable(TABLE, first.stream, [], { part: { range: range(1, 1001), clear: true } })
      await first.reading
      const loadingB = b.writeTable(TABLE, second.stream, [], { part: { range: range(1001, 2001), clear: true } })
      await second.reading
      first.give(1, 1001)
      second.give(1001, 2001)
      expect(await Promise.all([loadingA, loadingB])).toEqual([1000, 1000])
      const [count] = await my.sql(db, 'SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids FROM big')
      expect(count).toEqual({ n: '2000', ids: '2000' })
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('a real deadlock (1213) is transient', async () => {
    await my.sql(db, 'CREATE TABLE pair (id INT PRIMARY KEY); INSERT INTO pair VALUES (1), (2)')
    const [a, b] = [await connect(), await connect()]
    try {
      for (const s of [a, b]) await s.conn.query('START TRANSACTION')
      await a.conn.query('SELECT * FROM pair WHERE id = 1 FOR UPDATE')
      await b.conn.query('SELECT * FROM pair WHERE id = 2 FOR UPDATE')
      // a waits on b; b's request closes the cycle, and the server picks a victim at once.
      const waiting = a.conn.query('SELECT * FROM pair WHERE id = 2 FOR UPDATE').then(() => undefined, (e: unknown) => e)
      const closing = b.conn.query('SELECT * FROM pair WHERE id = 1 FOR UPDATE').then(() => undefined, (e: unknown) => e)
      const [fromA, fromB] = [await waiting.finally(() => b.conn.query('ROLLBACK').catch(() => {})), await closing]
      const victim = fromA ?? fromB
      expect((victim as { errno?: number }).errno).toBe(1213)
      expect(mysqlDriver.isTransient!(victim)).toBe(true)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})
