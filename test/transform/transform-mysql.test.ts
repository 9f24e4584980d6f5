/**
 * Row transforms on MariaDB: exact values (BIGINT UNSIGNED, DECIMAL(65,30), BLOB/VARBINARY,
 * DATETIME(6), zero dates, BIT, FLOAT, JSON, NULL vs '') through a transform, several target
 * tables with a lookup, and a throwing transform that stops the run with production untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { resolveTransform, type ResolvedTransform, type Row } from '../../pipeline/migration/transform/define-transform.ts'
import { executeTransform } from '../../pipeline/migration/transform/run-transform.ts'
import { configIn, expectDrydockError, onlyRun, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databasesWithPrefix, databaseState, dropDatabasesWithPrefix, myUrl, sql, uniquePrefix } from '../helpers/mysql.ts'

const prefix = uniquePrefix('tf')
const db = `${prefix}_values`
const endpoint = parseEndpoint(myUrl(db), 'staging')

const TABLES = String.raw`
CREATE TABLE vals (
  id bigint unsigned NOT NULL PRIMARY KEY, big bigint unsigned, neg bigint, num decimal(65,30), f float, d double,
  b blob, vb varbinary(16), dt datetime(6), ts timestamp(6) NULL, zd date, t text, vc varchar(20), bits bit(12),
  j json, e enum('x','y'), s set('p','q','r'), y year, gen bigint unsigned AS (big DIV 2) VIRTUAL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE vals_copy LIKE vals;
CREATE TABLE kinds (code varchar(5) PRIMARY KEY, label varchar(20) NOT NULL) ENGINE=InnoDB;
CREATE TABLE events (id int PRIMARY KEY, kind varchar(5) NOT NULL, payload varbinary(8)) ENGINE=InnoDB;
CREATE TABLE alpha (id int, label varchar(20), payload varbinary(8)) ENGINE=InnoDB;
CREATE TABLE beta (id int, label varchar(20)) ENGINE=InnoDB;
`
const VALUES = String.raw`
INSERT INTO vals (id, big, neg, num, f, d, b, vb, dt, ts, zd, t, vc, bits, j, e, s, y) VALUES
  (1, 18446744073709551615, -9223372036854775808, 12345678901234567890123456789012345.123456789012345678901234567890,
   3.40282e38, 0.1, X'00010A0D095C22FF', X'', '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.999999', '0000-00-00',
   'tab\there\nnewline\\backslash "q" NULL ü 😀', '', b'101010101010', '{"a": [1, 2.50, "x\\ny"]}', 'y', 'p,r', 2155),
  (2, 0, 0, -0.000000000000000000000000000001, -0, -1e308, '', NULL, '1000-01-01 00:00:00', NULL, '2024-00-15', '', 'NULL', b'0', 'null', 'x', '', 1901),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO vals (id, big, num, b, t) SELECT seq, seq * 1000003, seq / 7, UNHEX(MD5(seq)), REPEAT('x', seq % 300) FROM seq_4_to_4000;
INSERT INTO kinds VALUES ('a', 'Alpha'), ('b', 'Beta');
INSERT INTO events SELECT seq, IF(seq % 3 = 0, 'b', 'a'), UNHEX(LPAD(HEX(seq), 8, '0')) FROM seq_1_to_3000;
`

const spec = (value: Record<string, unknown>) => {
  const resolved = resolveTransform(value, 'test.ts', 'test')
  if (Array.isArray(resolved)) throw new Error(resolved.join('\n'))
  return resolved
}
const run = (s: ResolvedTransform) => executeTransform(s, { driver: mysqlDriver, endpoint, jobs: 2 })

beforeAll(async () => {
  await createDatabase(db)
  await sql(db, "SET SESSION sql_mode = ''")
  await sql(db, TABLES)
  await sql(db, `SET SESSION sql_mode = ''; ${VALUES}`)
})

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('row transforms on MariaDB', () => {
  it('reads exact values and writes them back exactly', async () => {
    const session = await mysqlDriver.connect(endpoint)
    const rows: Row[] = []
    try {
      const reader = await session.readRows!({ schema: db, name: 'vals' }, { range: { key: 'id', from: '1', to: '4' }, orderBy: 'id' })
      for await (const row of reader.stream as AsyncIterable<Row>) rows.push(row)
    } finally {
      await session.close()
    }
    const [one, two, three] = rows as [Row, Row, Row]
    expect(one).toMatchObject({
      big: '18446744073709551615', neg: '-9223372036854775808', num: '12345678901234567890123456789012345.123456789012345678901234567890',
      d: '0.1', b: Buffer.from('00010a0d095c22ff', 'hex'), vb: Buffer.alloc(0), dt: '2024-02-29 23:59:59.999999', zd: '0000-00-00',
      t: 'tab\there\nnewline\\backslash "q" NULL ü 😀', vc: '', bits: '2730', e: 'y', s: 'p,r', y: '2155', gen: '9223372036854775807',
    })
    expect(two).toMatchObject({ num: '-0.000000000000000000000000000001', b: Buffer.alloc(0), vb: null, zd: '2024-00-15', vc: 'NULL', bits: '0', j: 'null' })
    expect(Object.entries(three).filter(([, v]) => v !== null)).toEqual([['id', '3']])

    const record = await run(spec({ source: 'vals', target: 'vals_copy', transform: (row: Row) => { const { gen: _, ...rest } = row; return rest } }))
    expect(record).toMatchObject({ rowsIn: 4000, rowsOut: 4000 })
    expect(record.sources[0]!.chunks).toBeGreaterThan(1)
    const s2 = await mysqlDriver.connect(endpoint)
    try {
      expect(await s2.checksum({ schema: db, name: 'vals_copy' })).toEqual(await s2.checksum({ schema: db, name: 'vals' }))
    } finally {
      await s2.close()
    }
  })

  it('routes rows to several tables with a lookup', async () => {
    const record = await run(spec({
      source: 'events',
      lookups: { kinds: { table: 'kinds', key: 'code' } },
      target: { alpha: 'alpha', beta: 'beta' },
      transform: (e: Row, ctx: { lookups: Record<string, ReadonlyMap<string, Row>> }) => {
        const label = ctx.lookups.kinds!.get(e.kind as string)!.label
        return e.kind === 'a' ? { alpha: { id: e.id, label, payload: e.payload } } : { beta: [{ id: e.id, label }, { id: BigInt(e.id as string) + 10000n, label }] }
      },
    }))
    expect(record.targets.map((t) => [t.table, t.rows])).toEqual([[`${db}.alpha`, 2000], [`${db}.beta`, 2000]])
    const [counts] = await sql(db, `SELECT (SELECT COUNT(*) FROM alpha a JOIN events e USING (id) WHERE a.payload = e.payload AND a.label = 'Alpha') AS alpha_ok,
      (SELECT COUNT(*) FROM beta WHERE label = 'Beta') AS beta`)
    expect(counts).toEqual({ alpha_ok: '2000', beta: '2000' })
  })

  it('stops a run with DD_TRANSFORM_FAILED naming the table and the key; production untouched', async () => {
    const live = `${prefix}_live`
    await createDatabase(live)
    await sql(live, 'CREATE TABLE people (id int PRIMARY KEY, name varchar(50) NOT NULL); INSERT INTO people SELECT seq, CONCAT(\'P\', seq) FROM seq_1_to_500;')
    const dir = tempDir('tf-my-throw')
    writeFile(dir, '01.sql', 'CREATE TABLE people2 (id int, name varchar(50));\n')
    writeFile(dir, 'boom.ts', `import { defineTransform } from 'drydock'
export default defineTransform({ source: 'people', target: 'people2', transform(p) { if (p.id === '77') throw new Error('no'); return p } })
`)
    const before = await databaseState(live)
    const config = configIn(dir, { source: myUrl(live), staging: myUrl(`${prefix}_stg`), migrate: [{ sql: '01.sql' }, { transform: 'boom.ts' }] })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_TRANSFORM_FAILED')
    expect(error.message).toMatch(/transform boom failed on \S+\.people row id=77: no/)
    expect(await databaseState(live)).toEqual(before)
    expect((await databasesWithPrefix(prefix)).filter((d) => d.includes('shadow'))).toEqual([])
    expect(readReport(onlyRun(config)).failure?.code).toBe('DD_TRANSFORM_FAILED')
  })
})
