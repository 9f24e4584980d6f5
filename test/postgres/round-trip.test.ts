/**
 * Every common PostgreSQL type survives the whole pipeline exactly: snapshot → dump → staging →
 * migrate (a step that only touches another table) → load back → swap. The live database after
 * the swap is compared with the original, column by column as server text, in several time zones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/run.ts'
import { configIn, onlyRun, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import {
  createDatabase, databasesWithPrefix, dropDatabasesWithPrefix, pgUrl, rowsAsText, schemaDump, sql, tableDigests, uniquePrefix, userTables,
} from '../helpers/postgres.ts'

const prefix = uniquePrefix('types')
const source = `${prefix}_src`

const SCHEMA = String.raw`
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'très "content"');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);

CREATE TABLE numbers (
  id        int PRIMARY KEY,
  small     smallint,
  normal    integer,
  big       bigint,
  fixed     numeric(40, 20),
  free      numeric,
  r         real,
  d         double precision
);

CREATE TABLE texts (
  id        int PRIMARY KEY,
  t         text,
  vc        varchar(50),
  ch        char(6),
  b         bytea
);

CREATE TABLE times (
  id        int PRIMARY KEY,
  day       date,
  tm        time,
  ttz       timetz,
  ts        timestamp,
  tstz      timestamptz,
  span      interval
);

CREATE TABLE misc (
  id        int PRIMARY KEY,
  flag      boolean,
  doc_json  json,
  doc_jsonb jsonb,
  ints      int[],
  texts     text[],
  grid      int[][],
  feeling   mood,
  feelings  mood[],
  uid       uuid,
  qty       positive_int,
  addr      inet,
  net       cidr,
  mac       macaddr,
  bits      bit varying(16),
  words     tsvector,
  pt        point,
  period    tstzrange,
  price     numeric(12, 2),
  total     numeric GENERATED ALWAYS AS (price * 3) STORED
);

CREATE SCHEMA "Other Schema";
CREATE TABLE "Other Schema"."MixedCase Table" (
  "ID"            int PRIMARY KEY,
  "Select"        text,
  "weird ""col"" name" text,
  "ÜñíçødÉ"       text
);

CREATE TABLE side (id int PRIMARY KEY, note text);

-- Enough rows that COPY streams them in many chunks; no primary key, duplicate rows.
CREATE TABLE bulk (n int, label text, payload bytea);
`

/** Every row here is compared byte for byte as text after the round trip. */
const DATA = String.raw`
INSERT INTO numbers VALUES
  (1, -32768, -2147483648, -9223372036854775808, '-99999999999999999999.99999999999999999999', '0', '-Infinity', '-Infinity'),
  (2, 32767, 2147483647, 9223372036854775807, '99999999999999999999.99999999999999999999', '1e-1000', 'Infinity', 'Infinity'),
  (3, 0, 0, 0, '0.00000000000000000001', 'NaN', 'NaN', 'NaN'),
  (4, 1, -1, 1, '3.14159265358979323846', '-0.0000000000000000000000000000000000000000001', '-0', '-0'),
  (5, NULL, NULL, NULL, NULL, NULL, '0.1', '0.1'),
  (6, 7, 7, 7, '7', 'Infinity', '3.4028235e38', '1.7976931348623157e308'),
  (7, -7, -7, -7, '-7', '-Infinity', '1.4e-45', '5e-324'),
  (8, 0, 0, 0, '0', '123456789012345678901234567890.123456789012345678901234567890', '1.0000001', '0.30000000000000004');
UPDATE numbers SET free = repeat('9', 600)::numeric + ('0.' || repeat('1', 400))::numeric WHERE id = 3;

INSERT INTO texts VALUES
  (1, 'plain ascii', 'x', 'abc', '\x'),
  (2, E'tab\there\nnewline\r\ncrlf\rcr', E'back\\slash', 'a', (SELECT string_agg(set_byte('\x00'::bytea, 0, i), ''::bytea ORDER BY i) FROM generate_series(0, 255) i)),
  (3, E'\\N', '\N', '\N', '\x5c4e'),
  (4, '', '', '', '\x00'),
  (5, NULL, NULL, NULL, NULL),
  (6, E'quotes '' " \\" and ; commas, | pipes', '"', '''', '\x27225c'),
  (7, 'unicode: café ñ 日本語 עברית ﷽ 🎉👩‍👩‍👧‍👦 🇫🇷', 'émoji 🐘', 'ß', '\xf09f9098'),
  (8, E'\\.', E'\\.\n\\.', '\.', '\x5c2e0a'),
  (9, E'trailing space ', ' ', ' ', '\x20'),
  (10, E'\u0001\u0002\u001f control \u007f', E'\b\f\v', 'x', '\xff00ff');

INSERT INTO times VALUES
  (1, '2024-02-29', '00:00:00', '00:00:00+00', '2024-02-29 12:34:56.789012', '2024-02-29 12:34:56.789012+00', '1 year 2 mons 3 days 04:05:06.789012'),
  (2, 'infinity', '24:00:00', '23:59:59.999999+14:59', 'infinity', 'infinity', '-1 year -2 mons +3 days -04:05:06'),
  (3, '-infinity', '12:00:00.5', '12:00:00-05:30', '-infinity', '-infinity', '0'),
  (4, '0044-03-15 BC', '23:59:59.999999', '01:02:03.456-12', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '178000000 years'),
  (5, '1970-01-01', '13:14:15', '13:14:15+05:45', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '-178000000 years'),
  (6, '2038-01-19', '03:14:07', '03:14:07+01', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00', '1 day -00:00:00.000001'),
  (7, NULL, NULL, NULL, NULL, NULL, NULL),
  (8, '1582-10-10', '01:00', '01:00+01:00', '2021-03-28 02:30:00', '2021-03-28 01:30:00+00', '00:00:00.000001'),
  (9, '2024-10-27', '02:30', '02:30-03:30', '2024-10-27 02:30:00', '2024-10-27 00:30:00.5+00', '40 days 100:00:00');

INSERT INTO misc VALUES
  (1, true, '{"b": 1,   "a": [1, 2,  3], "b": "dup"}', '{"b": 1, "a": [1, 2, 3], "n": null, "u": "é\u00e9"}',
   '{1,NULL,3}', '{"a b","NULL",NULL,"","q\"uote","back\\slash","{braces}"}', '{{1,2,3},{4,NULL,6}}',
   'happy', '{sad,happy}', '123e4567-e89b-12d3-a456-426614174000', 1, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
   B'1011', 'a fat cat sat on a mat', '(1.5,-2.25)', '[2024-01-01 00:00+00,2024-02-01 00:00+00)', 9.99),
  (2, false, E'  [ ]\n', '[]', '{}', '{}', '{{{1}},{{2}}}', 'très "content"', '{}', '00000000-0000-0000-0000-000000000000', 2147483647,
   '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', B'', '', '(0,0)', 'empty', 0),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, true, '"just a string with \"escapes\" and \\u0041"', '{"nested": {"deep": [true, false, {"x": 1.50}]}}',
   '{-2147483648,2147483647}', '{"\\N","\t"}', '{{NULL,NULL},{NULL,NULL}}', 'ok', '{ok,NULL}',
   'ffffffff-ffff-ffff-ffff-ffffffffffff', 42, '2001:db8::1', '192.168.100.128/25', '00:00:00:00:00:00', B'1111111111111111',
   'x:1A y:2B,3C', '(-1e+300,1e-300)', '(,)', -12345.67);

INSERT INTO "Other Schema"."MixedCase Table" VALUES
  (1, 'select', 'with "quotes"', 'ünïcödé'),
  (2, NULL, '', NULL);

INSERT INTO side VALUES (1, 'before');

INSERT INTO bulk SELECT i % 5000, 'row ' || i || E'\t\\ ' || repeat(chr(i % 2000 + 32), i % 7), decode(md5(i::text), 'hex')
  FROM generate_series(1, 30000) i;
INSERT INTO bulk SELECT n, label, payload FROM bulk WHERE n < 100;
`

/** The migration step: it changes `side` and adds a table; the tables above are left alone. */
const MIGRATION = `
INSERT INTO side VALUES (2, 'added by the migration');
CREATE TABLE migration_note (id int PRIMARY KEY, at text);
INSERT INTO migration_note VALUES (1, 'done');
`

const TIME_ZONES = ['UTC', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati']
const ORIGINAL_TABLES = [
  { schema: 'Other Schema', name: 'MixedCase Table', orderBy: '"ID"' },
  { schema: 'public', name: 'bulk', orderBy: 'n, label, payload' },
  { schema: 'public', name: 'misc', orderBy: 'id' },
  { schema: 'public', name: 'numbers', orderBy: 'id' },
  { schema: 'public', name: 'texts', orderBy: 'id' },
  { schema: 'public', name: 'times', orderBy: 'id' },
]

type Rows = (string | null)[][]
const before = new Map<string, Rows>()
let schemaBefore = ''
let sideBefore: Rows = []

describe('PostgreSQL round trip of every common type', () => {
  beforeAll(async () => {
    await createDatabase(source)
    await sql(source, SCHEMA)
    await sql(source, DATA)
    for (const tz of TIME_ZONES) {
      for (const t of ORIGINAL_TABLES) before.set(`${tz} ${t.schema}.${t.name}`, await rowsAsText(source, t, t.orderBy, tz))
    }
    schemaBefore = await schemaDump(source)
    sideBefore = await rowsAsText(source, { schema: 'public', name: 'side' }, 'id')
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('the fixture really holds the tricky values (guards the comparison itself)', () => {
    const texts = before.get('UTC public.texts')!
    const bytes = texts.find((r) => r[0] === '2')![4]!
    expect(bytes).toHaveLength(2 + 2 * 256)
    expect(bytes.slice(0, 8)).toBe('\\x000102')
    expect(texts.find((r) => r[0] === '4')!.slice(1, 4)).toEqual(['', '', '      '])
    expect(texts.find((r) => r[0] === '5')!.slice(1)).toEqual([null, null, null, null])
    expect(texts.find((r) => r[0] === '3')![1]).toBe('\\N')
    const numbers = before.get('UTC public.numbers')!
    expect(numbers.find((r) => r[0] === '4')!.slice(6)).toEqual(['-0', '-0'])
    expect(numbers.find((r) => r[0] === '5')!.slice(6)).toEqual(['0.1', '0.1'])
    expect(numbers.find((r) => r[0] === '3')![5]).toBe(`${'9'.repeat(600)}.${'1'.repeat(400)}`)
    expect(numbers.find((r) => r[0] === '2')![5]).toBe(`0.${'0'.repeat(999)}1`)
    const misc = before.get('UTC public.misc')!
    expect(misc.find((r) => r[0] === '1')![2]).toBe('{"b": 1,   "a": [1, 2,  3], "b": "dup"}')
    expect(misc.find((r) => r[0] === '1')![19]).toBe('29.97')
    expect(before.get('UTC public.bulk')).toHaveLength(30000 + 600)
    // The time zones really change how timestamptz reads.
    expect(before.get('UTC public.times')![0]![5]).not.toBe(before.get('Asia/Kathmandu public.times')![0]![5])
  })

  it('leaves the live database, after the swap, equal row for row to the original', async () => {
    const dir = tempDir('types')
    writeFile(dir, 'touch-side.sql', MIGRATION)
    const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${prefix}_stg`), migrate: [{ sql: 'touch-side.sql' }], keepLive: false })
    const result = await runUpgrade(config, RUN_OPTIONS)

    expect(result.report.verdict).toBe('verified')
    expect(result.runDir).toBe(onlyRun(config))
    expect(readReport(result.runDir).verdict).toBe('verified')
    const backup = result.report.swap?.backup
    expect(backup).toMatch(new RegExp(`^${source}_dd_backup_\\d{14}$`))
    expect(await databasesWithPrefix(`${source}_dd_`)).toEqual([backup])

    for (const tz of TIME_ZONES) {
      for (const t of ORIGINAL_TABLES) {
        expect(await rowsAsText(source, t, t.orderBy, tz), `${t.schema}.${t.name} in ${tz}`).toEqual(before.get(`${tz} ${t.schema}.${t.name}`))
      }
    }
    // The migration ran: `side` gained its row and the new table exists, live.
    expect(await rowsAsText(source, { schema: 'public', name: 'side' }, 'id')).toEqual([...sideBefore, ['2', 'added by the migration']])
    expect(await sql(source, 'SELECT at FROM migration_note')).toEqual([{ at: 'done' }])
    // The schema of the original tables (types, enum, domain, generated column, quoting) is unchanged.
    expect(await schemaDump(source, ['public.migration_note'])).toBe(schemaBefore)
    // The backup is the untouched original.
    expect(await schemaDump(backup!)).toBe(schemaBefore)
    const backupDigests = await tableDigests(backup!)
    const liveDigests = await tableDigests(source)
    for (const t of ORIGINAL_TABLES) expect(liveDigests[`${t.schema}.${t.name}`]).toBe(backupDigests[`${t.schema}.${t.name}`])
    expect((await userTables(source)).map((t) => `${t.schema}.${t.name}`)).toEqual([
      'Other Schema.MixedCase Table', 'public.bulk', 'public.migration_note', 'public.misc', 'public.numbers', 'public.side', 'public.texts', 'public.times',
    ])
  })

  it('keeps the generated column generated and the domain CHECK enforced after the swap', async () => {
    const generated = await sql(source, `SELECT attgenerated FROM pg_attribute WHERE attrelid = 'misc'::regclass AND attname = 'total'`)
    expect(generated).toEqual([{ attgenerated: 's' }])
    await sql(source, `INSERT INTO misc (id, price) VALUES (100, 1.25)`)
    expect(await sql(source, 'SELECT total FROM misc WHERE id = 100')).toEqual([{ total: '3.75' }])
    await expect(sql(source, `INSERT INTO misc (id, qty) VALUES (101, 0)`)).rejects.toThrow(/violates check constraint "positive_int_check"/)
    await expect(sql(source, `INSERT INTO misc (id, feeling) VALUES (102, 'angry')`)).rejects.toThrow(/invalid input value for enum mood: "angry"/)
  })
})
