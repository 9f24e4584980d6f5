/**
 * Property: any rows of adversarial text and bytes go through readTable → dump file →
 * writeTable exactly, on both engines. fast-check makes the rows (the dump formats' own
 * escapes and markers — `\.`, `\N`, NULL, quotes, commas, tabs, CR/LF, BOM — mixed with
 * arbitrary unicode and bytes); after each trip the checksums and every value as server text
 * are equal on both sides.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Driver, Session, TableRef } from '../../pipeline/drivers/driver.ts'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { tableToFile } from '../../pipeline/transfer/table-to-file.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { fileToTable } from '../../pipeline/transfer/file-to-table.ts'
import { removeTempDirs, tempDir } from '../helpers/drydock.ts'
import * as my from '../helpers/mysql.ts'
import * as pgh from '../helpers/postgres.ts'

const RUNS = 25
const special = fc.constantFrom('', '\\.', '\\N', 'NULL', 'null', '\\', '"', '""', "'", ',', '\t', '\n', '\r\n', '\r', ' ', '\uFEFF', '😀', 'e\u0301', '\u2028', '\x7f', '\x01', '{}', '{"a":1}', ' NULL ')
/** Text a UTF-8 column holds (no lone surrogates; PostgreSQL text has no NUL). */
const text = (maxLength: number, nul: boolean) => fc.oneof(
  special,
  fc.string({ unit: 'binary', maxLength }),
  fc.array(special, { maxLength: 4 }).map((a) => a.join('')),
).filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s && (nul || !s.includes('\0')) && [...s].length <= maxLength)
const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array([0x5c, 0x2e, 0x0a])), fc.constant(new Uint8Array(0)))
const cell = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 5 })

async function trip(driver: Driver, from: Session, to: Session, table: TableRef, toTable: TableRef, dir: string, n: number) {
  const record = await tableToFile(from, table, dir, `prop-${n}.${driver.fileExtension}`)
  const rows = await fileToTable(to, toTable, dir, record)
  const [a, b] = await Promise.all([from.checksum(table), to.checksum(toTable)])
  return { rows, a, b }
}

afterAll(() => removeTempDirs())

describe('PostgreSQL: random adversarial rows through readTable → file → writeTable', () => {
  const prefix = pgh.uniquePrefix('flt')
  const src = `${prefix}_src`
  const dst = `${prefix}_dst`
  const table = { schema: 'public', name: 'prop' }
  let from: Session
  let to: Session
  beforeAll(async () => {
    const ddl = 'CREATE TABLE prop (id int PRIMARY KEY, t text, v varchar(30), c char(6), b bytea, arr text[], j jsonb)'
    for (const db of [src, dst]) { await pgh.createDatabase(db); await pgh.sql(db, ddl) }
    from = await postgresDriver.connect(parseEndpoint(pgh.pgUrl(src), 'source'))
    to = await postgresDriver.connect(parseEndpoint(pgh.pgUrl(dst), 'source'))
  })
  afterAll(async () => {
    await from?.close()
    await to?.close()
    await pgh.dropDatabasesWithPrefix(prefix)
  })

  it(`${RUNS} runs: equal checksums and equal values`, async () => {
    const dir = tempDir('flt-prop-pg')
    const row = fc.record({
      t: cell(text(40, false)), v: cell(text(30, false)), c: cell(text(6, false).map((s) => s.replace(/ +$/, ''))),
      b: cell(bytes), arr: cell(fc.array(cell(text(8, false)), { maxLength: 4 })), j: cell(text(10, false)),
    })
    let n = 0
    await fc.assert(fc.asyncProperty(fc.array(row, { maxLength: 12 }), async (rows) => {
      n++
      await pgh.withClient(src, async (c) => {
        await c.query('TRUNCATE prop')
        for (const [i, r] of rows.entries()) {
          await c.query('INSERT INTO prop VALUES ($1, $2, $3, $4, $5, $6, to_jsonb($7::text))',
            [i, r.t, r.v, r.c, r.b === null ? null : Buffer.from(r.b), r.arr, r.j])
        }
      })
      const { rows: loaded, a, b } = await trip(postgresDriver, from, to, table, table, dir, n)
      expect(loaded).toBe(rows.length)
      expect(b).toEqual(a)
      expect(await pgh.rowsAsText(dst, table, 'id')).toEqual(await pgh.rowsAsText(src, table, 'id'))
    }), { numRuns: RUNS })
  })
})

describe('MySQL: random adversarial rows through readTable → file → writeTable', () => {
  const prefix = my.uniquePrefix('flt')
  const src = `${prefix}_src`
  const dst = `${prefix}_dst`
  let from: Session
  let to: Session
  beforeAll(async () => {
    const ddl = `CREATE TABLE prop (id INT PRIMARY KEY, t TEXT, v VARCHAR(30), l VARCHAR(40) CHARACTER SET latin1,
      b VARBINARY(100), bl BLOB, j JSON, ch CHAR(6)) ENGINE=InnoDB`
    for (const db of [src, dst]) { await my.createDatabase(db); await my.sql(db, ddl) }
    from = await mysqlDriver.connect(parseEndpoint(my.myUrl(src), 'source'))
    to = await mysqlDriver.connect(parseEndpoint(my.myUrl(dst), 'source'))
  })
  afterAll(async () => {
    await from?.close()
    await to?.close()
    await my.dropDatabasesWithPrefix(prefix)
  })

  it(`${RUNS} runs: equal checksums and equal values`, async () => {
    const dir = tempDir('flt-prop-my')
    const row = fc.record({
      t: cell(text(40, true)), v: cell(text(30, true)), l: cell(fc.uint8Array({ maxLength: 40 })),
      b: cell(bytes), bl: cell(bytes), j: cell(text(10, true)), ch: cell(text(6, true).map((s) => s.replace(/ +$/, ''))),
    })
    let n = 0
    await fc.assert(fc.asyncProperty(fc.array(row, { maxLength: 12 }), async (rows) => {
      n++
      await my.withConn(src, async (c) => {
        await c.query('TRUNCATE prop')
        for (const [i, r] of rows.entries()) {
          await c.query('INSERT INTO prop VALUES (?, ?, ?, ?, ?, ?, JSON_QUOTE(?), ?)',
            [i, r.t, r.v, r.l === null ? null : Buffer.from(r.l), r.b === null ? null : Buffer.from(r.b), r.bl === null ? null : Buffer.from(r.bl), r.j, r.ch])
        }
      })
      const { rows: loaded, a, b } = await trip(mysqlDriver, from, to, { schema: src, name: 'prop' }, { schema: dst, name: 'prop' }, dir, n)
      expect(loaded).toBe(rows.length)
      expect(b).toEqual(a)
      expect(await my.rowsAsText(dst, 'prop', 'id')).toEqual(await my.rowsAsText(src, 'prop', 'id'))
    }), { numRuns: RUNS })
  })
})
