/**
 * --verify: two databases compared table by table on the local PostgreSQL. The right side has
 * one row changed, one deleted and one inserted in a 10 000-row table: exactly that table
 * differs, and --locate names exactly those three keys. Also: tables on one side only, a
 * differing table without an integer key, the 100-key cap, the report files, and the CLI's
 * exit codes.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareDatabases, type CompareResult, type TableComparison } from '../../pipeline/compare/compare-databases.ts'
import { writeCompareReport } from '../../pipeline/compare/compare-report.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { removeTempDirs, runCli, tempDir } from '../helpers/drydock.ts'
import { createDatabase, dropDatabasesWithPrefix, PG_HOST, PG_PORT, pgUrl, sql, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('cmp')
const left = `${prefix}_left`
const right = `${prefix}_right`
const copy = `${prefix}_copy`

const SCHEMA = `
CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, payload jsonb, at timestamptz NOT NULL);
INSERT INTO events SELECT i, 'kind ' || (i % 7), jsonb_build_object('n', i), timestamptz '2024-01-01 00:00+00' + i * interval '1 minute'
  FROM generate_series(1, 10000) i;
CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, balance numeric(12, 2));
INSERT INTO accounts (email, balance) SELECT 'user' || i || '@example.com', i * 1.5 FROM generate_series(1, 300) i;
CREATE TABLE "odd | <name>" (code text PRIMARY KEY, n int);
INSERT INTO "odd | <name>" VALUES ('a', 1), ('b', 2);
CREATE TABLE legacy (id int PRIMARY KEY);
INSERT INTO legacy SELECT generate_series(1, 5);
CREATE SCHEMA extra;
CREATE TABLE extra.tags (name text PRIMARY KEY, uses int NOT NULL);
INSERT INTO extra.tags SELECT 'tag' || i, i FROM generate_series(1, 50) i;
CREATE SCHEMA bulk;
CREATE TABLE bulk.items (id int PRIMARY KEY, label text);
INSERT INTO bulk.items SELECT i, 'item ' || i FROM generate_series(1, 5000) i;
`

const RIGHT_CHANGES = `
UPDATE events SET kind = 'edited' WHERE id = 4242;
DELETE FROM events WHERE id = 777;
INSERT INTO events VALUES (12345, 'late', '{"n": 12345}', timestamptz '2025-01-01 00:00+00');
DROP TABLE legacy;
UPDATE extra.tags SET uses = uses + 1 WHERE name = 'tag7';
CREATE TABLE extra.feature_flags (name text PRIMARY KEY);
UPDATE bulk.items SET label = 'relabelled' WHERE id % 10 = 0;
`

const ep = (database: string) => parseEndpoint(pgUrl(database), 'test')
const byName = (r: CompareResult, name: string): TableComparison => {
  const t = r.tables.find((x) => x.table === name)
  expect(t, `table ${name} in ${r.tables.map((x) => x.table).join(', ')}`).toBeDefined()
  return t!
}

describe('compare two databases (--verify)', () => {
  beforeAll(async () => {
    for (const db of [left, right, copy]) {
      await createDatabase(db)
      await sql(db, SCHEMA)
    }
    await sql(right, RIGHT_CHANGES)
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('marks exactly the changed table as differing, tables on one side only, and the rest equal', async () => {
    const result = await compareDatabases(ep(left), ep(right), { jobs: 2, schemas: ['public'] })
    expect(result.verdict).toBe('different')
    expect(result.tables.map((t) => [t.table, t.status])).toEqual([
      ['public.accounts', 'equal'],
      ['public.events', 'differs'],
      ['public.legacy', 'only-left'],
      ['public.odd | <name>', 'equal'],
    ])
    const events = byName(result, 'public.events')
    expect(events.left).toMatchObject({ rows: 10000 })
    expect(events.right).toMatchObject({ rows: 10000 })
    expect(events.detail).toMatch(/^same row count \(10000\) but different content/)
    expect(events.located).toBeNull()
    expect(result.left).toBe(`postgres://postgres@${PG_HOST}:${PG_PORT}/${left}`)
  })

  it('with locate, names exactly the changed, deleted and inserted keys', async () => {
    const result = await compareDatabases(ep(left), ep(right), { jobs: 2, schemas: ['public'], locate: true })
    const located = byName(result, 'public.events').located!
    expect(located).toMatchObject({ key: 'id', status: 'located', truncated: false })
    expect(located.differences).toEqual([
      { key: '777', kind: 'missing-right' },
      { key: '4242', kind: 'changed', columns: ['kind'] },
      { key: '12345', kind: 'missing-left' },
    ])
    // Bisection reads a few ranges, not every key: 16 segments a round for each differing range.
    expect(located.rangeChecksums).toBeLessThan(120)
    expect(byName(result, 'public.accounts').located).toBeNull()
  })

  it('a differing table with a text primary key is located too; a table only on the right', async () => {
    const result = await compareDatabases(ep(left), ep(right), { jobs: 1, schemas: ['extra'], locate: true })
    expect(result.tables.map((t) => [t.table, t.status])).toEqual([['extra.feature_flags', 'only-right'], ['extra.tags', 'differs']])
    expect(byName(result, 'extra.tags').located).toMatchObject({ key: 'name', status: 'located', differences: [{ key: 'tag7', kind: 'changed', columns: ['uses'] }] })
  })

  it('lists at most 100 differing keys per table and says there are more', async () => {
    const result = await compareDatabases(ep(left), ep(right), { jobs: 2, schemas: ['bulk'], locate: true })
    const located = byName(result, 'bulk.items').located!
    expect(located.truncated).toBe(true)
    expect(located.differences).toHaveLength(100)
    expect(located.differences.every((d) => d.kind === 'changed' && Number(d.key) % 10 === 0)).toBe(true)
  })

  it('writes compare.json and compare.md', async () => {
    const result = await compareDatabases(ep(left), ep(right), { jobs: 2, locate: true })
    const dir = tempDir('compare-report')
    const files = await writeCompareReport(dir, result)
    const json = JSON.parse(readFileSync(files.json, 'utf8'))
    expect(json).toMatchObject({ schemaVersion: 1, kind: 'compare', verdict: 'different', counts: { tables: 7, equal: 2, differs: 3, onlyLeft: 1, onlyRight: 1 } })
    const md = readFileSync(files.markdown, 'utf8')
    expect(md).toContain('# drydock verify: ✗ DIFFERENT')
    expect(md).toContain('| public.odd \\| <name> |')
    expect(md).toContain('## Differing rows of public.events (key id)')
    expect(md).toContain('| 4242 | changed | kind |')
    expect(md).toContain('More keys differ: only the first 100 are listed.')
  })

  describe('command line', () => {
    const url = (database: string) => `postgres://postgres:not-a-real-pw-42@${PG_HOST}:${PG_PORT}/${database}`

    it('exit 0 and EQUAL for identical databases, without printing the password', async () => {
      const r = await runCli(['--verify', '--left', url(left), '--right', url(copy)])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^public\.events\s+10000\s+10000\s+✓ equal$/m)
      expect(r.stdout).toContain('verdict: EQUAL — 6 tables: 6 equal, 0 differ, 0 only on left, 0 only on right')
      expect(r.stdout + r.stderr).not.toContain('not-a-real-pw-42')
    })

    it('exit 1 with the differing keys and a report for different databases', async () => {
      const out = join(tempDir('compare-cli'), 'verify')
      const r = await runCli(['--verify', '--left', url(left), '--right', url(right), '--locate', '--out', out, '--schema', 'public', '--jobs', '2'])
      expect(r.code, r.stderr).toBe(1)
      expect(r.stdout).toMatch(/^public\.events\s+10000\s+10000\s+✗ differs: 3 key\(s\) \(1 changed, 1 missing on right, 1 missing on left\)$/m)
      expect(r.stdout).toMatch(/^public\.legacy\s+5\s+–\s+✗ only on left$/m)
      expect(r.stdout).toContain('public.events (id): missing on right 777 · changed 4242 · missing on left 12345')
      expect(r.stdout).toContain('verdict: DIFFERENT — 4 tables: 2 equal, 1 differ, 1 only on left, 0 only on right')
      expect(r.stdout).toContain(`report: ${join(out, 'compare.md')}`)
      expect(existsSync(join(out, 'compare.json'))).toBe(true)
      expect(r.stdout + r.stderr).not.toContain('not-a-real-pw-42')
    })

    it('exit 2 for wrong arguments', async () => {
      const missing = await runCli(['--verify', '--left', url(left)])
      expect([missing.code, missing.stderr]).toEqual([2, 'drydock: --verify needs --right URL\nRun with --help for usage.\n'])
      const stray = await runCli(['--locate'])
      expect([stray.code, stray.stderr]).toEqual([2, 'drydock: option --locate needs --verify\nRun with --help for usage.\n'])
      const bad = await runCli(['--verify', '--left', 'not a url', '--right', url(right)])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('Invalid option --left: expected a database URL')
      const engines = await runCli(['--verify', '--left', url(left), '--right', `mysql://root@${PG_HOST}:3306/x`])
      expect(engines.code).toBe(2)
    })

    it('exit 1 when a database cannot be reached', async () => {
      const r = await runCli(['--verify', '--left', url(left), '--right', url(`${prefix}_missing`)])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('DD_DATABASE_MISSING')
    })
  })
})
