/**
 * Every common PostgreSQL type survives the whole pipeline exactly: snapshot → dump → staging →
 * migrate (a step that only touches another table) → load back → swap. The live database after
 * the swap is compared with the original, column by column as server text, in several time zones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, onlyRun, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import {
  createDatabase, databasesWithPrefix, dropDatabasesWithPrefix, pgUrl, rowsAsText, schemaDump, sql, tableDigests, uniquePrefix, userTables,
} from '../helpers/postgres.ts'
import { DATA, SCHEMA } from '../fixtures/postgres-nasty-values.ts'

const prefix = uniquePrefix('types')
const source = `${prefix}_src`

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
