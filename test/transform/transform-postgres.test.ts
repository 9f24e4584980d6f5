/**
 * Row transforms on PostgreSQL: exact values (bigint, numeric, bytea, timestamps, NULL vs '')
 * through a transform, several target tables, lookups and joins, a throwing transform that
 * stops the run with production untouched, expectations and "carried over unchanged" in the
 * report, and --sample.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../pipeline/config/config.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { resolveTransform, type ResolvedTransform, type Row } from '../../pipeline/migration/transform/define-transform.ts'
import { loadTransform } from '../../pipeline/migration/transform/load-transform.ts'
import { executeTransform } from '../../pipeline/migration/transform/run-transform.ts'
import { sampleTransform } from '../../pipeline/migration/transform/sample.ts'
import { configIn, expectDrydockError, onlyRun, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databaseExists, databasesWithPrefix, databaseState, dropDatabasesWithPrefix, pgUrl, sql, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('tf')
const db = `${prefix}_values`
const endpoint = parseEndpoint(pgUrl(db), 'staging')

const VALUES_SQL = String.raw`
CREATE TABLE vals (
  id bigint PRIMARY KEY, big bigint, small smallint, num numeric, fixed numeric(40, 20), f8 double precision, f4 real,
  bytes bytea, ts timestamp, tstz timestamptz, d date, iv interval, t text, vc varchar(20), ch char(5), flag boolean,
  j jsonb, arr text[], u uuid, gen bigint GENERATED ALWAYS AS (big / 2) STORED
);
INSERT INTO vals (id, big, small, num, fixed, f8, f4, bytes, ts, tstz, d, iv, t, vc, ch, flag, j, arr, u) VALUES
  (1, 9223372036854775807, -32768, 123456789012345678901234567890.123456789012345678901234567890, -0.00000000000000000001,
   0.1, 3.4028235e38, '\x00010a0d095c22ff'::bytea, '2024-02-29 23:59:59.999999', '1970-01-01 00:00:00.000001+00', 'infinity', '-1 years +2 days 03:04:05.000006',
   E'tab\there\nnewline\\backslash \\N "q" ü 😀', '', 'ab', true, '{"a": [1, 2.50, "x\ny"]}', ARRAY['a,b', NULL, 'c"d', '\N'], 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
  (2, -9223372036854775808, 0, 'NaN', 0, '-Infinity', 'NaN', ''::bytea, '0001-01-01 00:00:00', '294276-12-31 23:59:59.999999+00', '4713-01-01 BC', '0', '', NULL, NULL, false, 'null', '{}', NULL),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO vals (id, big, num, bytes, t) SELECT i, i::bigint * 1000003, i / 7.0, decode(md5(i::text), 'hex'), repeat('x', i % 300) FROM generate_series(4, 5000) i;
CREATE TABLE vals_copy (LIKE vals INCLUDING DEFAULTS);
ALTER TABLE vals_copy DROP COLUMN gen, ADD COLUMN gen bigint GENERATED ALWAYS AS (big / 2) STORED;

CREATE TABLE kinds (code text PRIMARY KEY, label text NOT NULL);
INSERT INTO kinds VALUES ('a', 'Alpha'), ('b', 'Beta');
CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, payload bytea, note text);
INSERT INTO events SELECT i, CASE WHEN i % 3 = 0 THEN 'b' ELSE 'a' END, decode(lpad(to_hex(i), 8, '0'), 'hex'), CASE WHEN i % 5 = 0 THEN NULL ELSE 'n' || i END
  FROM generate_series(1, 3000) i;
CREATE TABLE details (event_id int PRIMARY KEY, extra text);
INSERT INTO details SELECT i, 'extra ' || i FROM generate_series(1, 3000, 2) i;
CREATE TABLE alpha (id int, label text, payload bytea, extra text);
CREATE TABLE beta (id int, label text, doubled bigint);
`

const spec = (value: Record<string, unknown>) => {
  const resolved = resolveTransform(value, 'test.ts', 'test')
  if (Array.isArray(resolved)) throw new Error(resolved.join('\n'))
  return resolved
}
const run = (s: ResolvedTransform, jobs = 2) => executeTransform(s, { driver: postgresDriver, endpoint, jobs })
const checksum = async (name: string) => {
  const session = await postgresDriver.connect(endpoint)
  try { return await session.checksum({ schema: 'public', name }) } finally { await session.close() }
}

beforeAll(async () => {
  await createDatabase(db)
  await sql(db, VALUES_SQL)
})

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('row transforms on PostgreSQL', () => {
  it('reads exact values: strings as printed, bytes as Buffers, NULL apart from the empty string', async () => {
    const session = await postgresDriver.connect(endpoint)
    const rows: Row[] = []
    try {
      const reader = await session.readRows!({ schema: 'public', name: 'vals' }, { range: { key: 'id', from: '1', to: '4' }, orderBy: 'id' })
      for await (const row of reader.stream as AsyncIterable<Row>) rows.push(row)
    } finally {
      await session.close()
    }
    expect(rows).toHaveLength(3)
    const [one, two, three] = rows as [Row, Row, Row]
    expect(one.big).toBe('9223372036854775807')
    expect(one.num).toBe('123456789012345678901234567890.123456789012345678901234567890')
    expect(one.fixed).toBe('-0.00000000000000000001')
    expect(one.f8).toBe('0.1')
    expect(one.bytes).toEqual(Buffer.from('00010a0d095c22ff', 'hex'))
    expect(one.ts).toBe('2024-02-29 23:59:59.999999')
    expect(one.tstz).toBe('1970-01-01 00:00:00.000001+00')
    expect(one.t).toBe('tab\there\nnewline\\backslash \\N "q" ü 😀')
    expect(one.vc).toBe('')
    expect(one.ch).toBe('ab   ')
    expect(one.flag).toBe('t')
    expect(one.arr).toBe('{"a,b",NULL,"c\\"d","\\\\N"}')
    expect(one.gen).toBe('4611686018427387903')
    expect(two.big).toBe('-9223372036854775808')
    expect(two.bytes).toEqual(Buffer.alloc(0))
    expect(two.t).toBe('')
    expect(two.vc).toBeNull()
    expect(two.d).toBe('4713-01-01 BC')
    expect(Object.values(three).filter((v) => v !== null)).toEqual(['3'])
  })

  it('writes them back exactly: an identity transform gives the same checksum', async () => {
    const columns = ['id', 'big', 'small', 'num', 'fixed', 'f8', 'f4', 'bytes', 'ts', 'tstz', 'd', 'iv', 't', 'vc', 'ch', 'flag', 'j', 'arr', 'u']
    const record = await run(spec({ source: { table: 'vals', columns }, target: 'vals_copy', transform: (row: Row) => row }))
    expect(record.rowsIn).toBe(5000)
    expect(record.rowsOut).toBe(5000)
    expect(record.sources[0]!.chunks).toBeGreaterThan(1)
    expect(record.bytesOut).toBeGreaterThan(0)
    expect(await checksum('vals_copy')).toEqual(await checksum('vals'))
  })

  it('refuses inexact values and wrong rows, naming the table and the key', async () => {
    await sql(db, 'TRUNCATE vals_copy')
    const float = await expectDrydockError(run(spec({ source: 'vals', target: { table: 'vals_copy', columns: ['id', 'num'] }, transform: (r: Row) => ({ id: r.id, num: 0.5 }) })), 'DD_TRANSFORM_FAILED')
    expect(float.message).toMatch(/public\.vals row id=\d+: column num .*the number 0\.5 is not exact/)
    const date = await expectDrydockError(run(spec({ source: 'vals', target: { table: 'vals_copy', columns: ['id', 'ts'] }, transform: (r: Row) => ({ id: r.id, ts: new Date(0) }) })), 'DD_TRANSFORM_FAILED')
    expect(date.message).toMatch(/a Date/)
    const missing = await expectDrydockError(run(spec({ source: 'vals', target: { table: 'vals_copy', columns: ['id', 'ts'] }, transform: (r: Row) => ({ id: r.id }) })), 'DD_TRANSFORM_FAILED')
    expect(missing.message).toMatch(/lacks column ts/)
    const extra = await expectDrydockError(run(spec({ source: 'vals', target: { table: 'vals_copy', columns: ['id'] }, transform: (r: Row) => ({ id: r.id, nope: '1' }) })), 'DD_TRANSFORM_FAILED')
    expect(extra.message).toMatch(/has column\(s\) nope/)
    expect((await sql(db, 'SELECT count(*) AS n FROM vals_copy'))[0]!.n).toBe('0')
  })

  it('routes rows to several tables, with a lookup and a joined table, one input row giving 0, 1 or 2 rows', async () => {
    const record = await run(spec({
      source: { table: 'events', join: { table: 'details', key: 'event_id' } },
      lookups: { kinds: { table: 'kinds', key: 'code' } },
      target: { alpha: 'alpha', beta: { table: 'beta', columns: ['id', 'label', 'doubled'] } },
      transform: (e: Row, ctx: { joined?: Row; lookups: Record<string, ReadonlyMap<string, Row>> }) => {
        const label = ctx.lookups.kinds!.get(e.kind as string)!.label
        if (Number(e.id) % 100 === 0) return null
        if (e.kind === 'a') return { alpha: { id: e.id, label, payload: e.payload, extra: ctx.joined?.extra ?? null } }
        return { beta: [{ id: e.id, label, doubled: BigInt(e.id as string) * 2n }, { id: `-${e.id}`, label, doubled: 0 }] }
      },
    }), 3)
    expect(record.lookups).toEqual([{ name: 'kinds', table: 'public.kinds', rows: 2 }])
    expect(record.sources[0]).toMatchObject({ table: 'public.events', rows: 3000, joined: 'public.details' })
    const [counts] = await sql(db, `SELECT (SELECT count(*) FROM alpha) AS alpha, (SELECT count(*) FROM beta) AS beta,
      (SELECT count(*) FROM alpha a JOIN events e USING (id) WHERE a.payload = e.payload AND a.label = 'Alpha') AS alpha_ok,
      (SELECT count(*) FROM alpha a JOIN details d ON d.event_id = a.id WHERE a.extra = d.extra) AS joined,
      (SELECT count(*) FROM alpha WHERE extra IS NULL) AS unjoined,
      (SELECT count(*) FROM beta WHERE id > 0 AND doubled = 2 * id) AS doubled`)
    expect(counts).toEqual({ alpha: '1980', beta: '1980', alpha_ok: '1980', joined: '1000', unjoined: '980', doubled: '990' })
    expect(record.targets).toEqual([
      { table: 'public.alpha', rows: 1980, bytes: expect.any(Number) },
      { table: 'public.beta', rows: 1980, bytes: expect.any(Number) },
    ])
  })

  it('refuses a target that already holds rows, unless append', async () => {
    const error = await expectDrydockError(run(spec({ source: 'kinds', target: 'kinds', transform: (r: Row) => r })), 'DD_TRANSFORM_FAILED')
    expect(error.message).toMatch(/already holds 2 rows/)
    const record = await run(spec({ source: 'kinds', target: { table: 'kinds', append: true }, transform: (r: Row) => ({ ...r, code: `${r.code}2` }) }))
    expect(record, JSON.stringify(record)).toMatchObject({ rowsIn: 2, rowsOut: 2 })
    expect(await sql(db, 'SELECT code FROM kinds ORDER BY code')).toEqual([{ code: 'a' }, { code: 'a2' }, { code: 'b' }, { code: 'b2' }])
  })

  it('tries a transform on a sample of the source without writing', async () => {
    const dir = tempDir('tf-sample')
    const file = writeFile(dir, 'upper.ts', `import { defineTransform } from 'drydock'
export default defineTransform({ source: 'events', target: 'alpha', transform: (e) => ({ id: e.id, label: String(e.kind).toUpperCase(), payload: e.payload, extra: null }) })
`)
    const config = configIn(dir, { source: pgUrl(db) })
    let printed = ''
    const out = new Writable({ write(chunk, _e, cb) { printed += String(chunk); cb() } })
    const before = await sql(db, 'SELECT count(*) AS n FROM alpha')
    const result = await sampleTransform(config, file, 3, out)
    expect(result.rows.map((r) => r.before.id)).toEqual(['1', '2', '3'])
    expect(result.rows[2]!.after).toEqual([{ table: 'public.alpha', row: { id: '3', label: 'B', payload: Buffer.from('00000003', 'hex'), extra: null } }])
    expect(printed).toContain('── public.events id=3')
    expect(printed).toContain('after → public.alpha: { id: "3", label: "B", payload: <4 bytes 00000003>, extra: NULL }')
    expect(await sql(db, 'SELECT count(*) AS n FROM alpha')).toEqual(before)
  })

  it('loads transform files with the config loader and names what is wrong', async () => {
    const dir = tempDir('tf-load')
    const good = writeFile(dir, 'named.ts', `import { defineTransform } from 'drydock'
export const upper = defineTransform({ source: 'events', target: 'alpha', transform: (e) => e })
`)
    expect((await loadTransform(good)).name).toBe('named')
    const bad = writeFile(dir, 'bad.mjs', `export default { source: 42, target: 'x', transfrom: () => null }\n`)
    const error = await expectDrydockError(loadTransform(bad), 'DD_CONFIG_INVALID')
    expect(error.message).toContain('Unknown option transfrom')
    expect(error.message).toContain('Missing option transform')
    expect(error.message).toContain('source: expected a table name')
    writeFile(dir, 'upgrade.config.mjs', `export default { source: '${pgUrl(db)}', migrate: [{ transform: 'bad.mjs' }] }\n`)
    await expectDrydockError(loadConfig(join(dir, 'upgrade.config.mjs')), 'DD_CONFIG_INVALID')
    writeFile(dir, 'missing.config.mjs', `export default { source: '${pgUrl(db)}', migrate: [{ transform: 'nope.ts' }] }\n`)
    const missing = await expectDrydockError(loadConfig(join(dir, 'missing.config.mjs')), 'DD_CONFIG_INVALID')
    expect(missing.message).toMatch(/migrate\[0\]\.transform: file .*nope\.ts does not exist/)
  })
})

describe('transforms and expectations in a whole run', () => {
  const live = `${prefix}_live`
  const APP = `
CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, email text);
INSERT INTO people SELECT i, 'Person ' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'p' || i || '@example.org' END FROM generate_series(1, 2000) i;
CREATE TABLE notes (id int PRIMARY KEY, person_id bigint NOT NULL REFERENCES people (id), body text);
INSERT INTO notes SELECT i, 1 + i % 2000, 'note ' || i FROM generate_series(1, 3000) i;
CREATE TABLE settings (key text PRIMARY KEY, value text);
INSERT INTO settings VALUES ('a', '1'), ('b', '2');
`
  beforeAll(async () => {
    await createDatabase(live)
    await sql(live, APP)
  })

  it('stops with DD_TRANSFORM_FAILED naming the transform, the table and the key; production untouched', async () => {
    const dir = tempDir('tf-throw')
    writeFile(dir, '01-new.sql', 'CREATE TABLE people2 (id bigint, name text, email text);\n')
    writeFile(dir, 'explode.ts', `import { defineTransform } from 'drydock'
export default defineTransform({
  name: 'explode',
  source: 'people',
  target: 'people2',
  transform(p) {
    if (p.id === '1234') throw new Error('cannot split the name of ' + p.name)
    return p
  },
})
`)
    const before = await databaseState(live)
    const config = configIn(dir, { source: pgUrl(live), staging: pgUrl(`${prefix}_stg1`), migrate: [{ sql: '01-new.sql' }, { transform: 'explode.ts' }] })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_TRANSFORM_FAILED')
    expect(error.message).toContain('transform explode failed on public.people row id=1234: cannot split the name of Person 1234')
    expect(error.ctx.table).toBe('public.people')
    expect(error.ctx.stage).toBe('migrate')
    expect(await databaseState(live)).toEqual(before)
    expect((await databasesWithPrefix(prefix)).filter((d) => d.includes('shadow'))).toEqual([])
    const report = readReport(onlyRun(config))
    expect(report.failure?.code).toBe('DD_TRANSFORM_FAILED')
    expect(report.steps.map((s) => [s.kind, s.status])).toEqual([['sql', 'done'], ['transform', 'failed']])
  })

  it('reports transforms, expectations with the values found, and tables carried over unchanged', async () => {
    const dir = tempDir('tf-expect')
    writeFile(dir, '01-split.sql', `CREATE TABLE contacts (person_id bigint NOT NULL, email text NOT NULL);
UPDATE settings SET value = value || '!' WHERE key = 'b';\n`)
    writeFile(dir, 'contacts.ts', `import { defineTransform } from 'drydock'
export default defineTransform({
  source: 'people',
  target: 'contacts',
  transform: (p) => (p.email === null ? null : { person_id: p.id, email: p.email }),
})
`)
    writeFile(dir, '03-drop.sql', 'ALTER TABLE people DROP COLUMN email;\n')
    const config = configIn(dir, {
      source: pgUrl(live),
      staging: pgUrl(`${prefix}_stg2`),
      target: pgUrl(`${prefix}_target2`),
      migrate: [{ sql: '01-split.sql' }, { name: 'contacts out of people', transform: 'contacts.ts' }, { sql: '03-drop.sql' }],
      expect: [
        { name: 'people kept', rows: 'people', equals: 'before:people' },
        { name: 'one contact per email', rows: 'contacts + 200', equals: 'before:people' },
        { name: 'no empty email', sql: "SELECT count(*) FROM contacts WHERE email = ''", expect: 0 },
        { name: 'same people', sql: 'SELECT count(DISTINCT person_id) FROM contacts', equals: 'SELECT count(*) FROM people WHERE id % 10 <> 0' },
        { foreignKeys: true },
      ],
    })
    const result = await runUpgrade(config, RUN_OPTIONS)
    const r = result.report
    expect(r.verdict).toBe('verified')
    expect(r.transforms).toHaveLength(1)
    expect(r.transforms[0]).toMatchObject({ step: 2, name: 'contacts', rowsIn: 2000, rowsOut: 1800, targets: [{ table: 'public.contacts', rows: 1800 }] })
    expect(r.expectations.map((e) => [e.name, e.found, e.expected, e.ok])).toEqual([
      ['people kept', '2000', '2000', true],
      ['one contact per email', '2000', '2000', true],
      ['no empty email', '0', '0', true],
      ['same people', '1800', '1800', true],
      ['every foreign key resolves', '0', '0', true],
    ])
    const carry = Object.fromEntries(r.carryOver.map((c) => [c.table, c.status]))
    expect(carry).toEqual({ 'public.notes': 'unchanged', 'public.settings': 'data-changed', 'public.people': 'definition-changed', 'public.contacts': 'new' })
    const md = readFileSync(join(result.runDir, 'report.md'), 'utf8')
    expect(md).toContain('## Row transforms')
    expect(md).toContain('## Expectations (5/5 hold)')
    expect(md).toMatch(/\| one contact per email \| rows contacts \+ 200 = before:people \(contacts \(1800\) \+ 200 vs before:people \(2000\)\) \| 2000 \| 2000 \| ✓ \|/)
    expect(md).toContain('| public.notes | carried over unchanged |')
    expect(md).toContain('| public.settings | unchanged definition, data changed |')
    const html = readFileSync(join(result.runDir, 'report.html'), 'utf8')
    expect(html).toContain('<h2>Expectations</h2>')
    expect(html).toContain('<h2>Tables after the migration</h2>')
  })

  it('fails with DD_EXPECTATION_FAILED naming each expectation and its values; production untouched', async () => {
    const dir = tempDir('tf-expect-fail')
    writeFile(dir, '01.sql', "DELETE FROM notes WHERE id > 2990; UPDATE people SET email = '' WHERE id = 7;\n")
    const before = await databaseState(live)
    const config = configIn(dir, {
      source: pgUrl(live), staging: pgUrl(`${prefix}_stg3`), migrate: [{ sql: '01.sql' }],
      expect: [
        { name: 'notes kept', rows: 'notes', equals: 'before:notes' },
        { name: 'no empty email', sql: "SELECT count(*) FROM people WHERE email = ''", expect: 0 },
        { name: 'settings intact', sql: 'SELECT count(*) FROM settings', expect: '2' },
      ],
    })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_EXPECTATION_FAILED')
    expect(error.message).toContain('2 of 3 expectation(s) do not hold')
    expect(error.message).toContain('notes kept: found 2990, expected 3000 (notes (2990) vs before:notes (3000))')
    expect(error.message).toContain('no empty email: found 1, expected 0')
    expect(await databaseState(live)).toEqual(before)
    expect(await databaseExists(`${prefix}_live_dd_shadow`)).toBe(false)
    const report = readReport(onlyRun(config))
    expect(report.expectations.map((e) => [e.name, e.found, e.ok])).toEqual([['notes kept', '2990', false], ['no empty email', '1', false], ['settings intact', '2', true]])
    expect(readFileSync(join(onlyRun(config), 'report.md'), 'utf8')).toContain('## Expectations (1/3 hold)')
  })

  it('reports bad expectations in the config before anything runs', async () => {
    const dir = tempDir('tf-expect-bad')
    expect(() => configIn(dir, {
      source: pgUrl(live),
      expect: [{ sql: 'SELECT 1', expect: 1 }, { name: 'x', rows: 'a +', equals: 'before:a' }, { name: 'y', sql: 'SELECT 1', expect: 0.5 }, { foo: 1 }],
    })).toThrow(/Missing option expect\[0\]\.name[\s\S]*expect\[1\]\.rows[\s\S]*expect\[2\]\.expect[\s\S]*expect\[3\]: expected one of sql, rows or foreignKeys/)
  })
})
