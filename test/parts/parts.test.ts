/**
 * Big tables split into parts (pipeline/transfer), on both engines: each part has its own file,
 * count and hash; parts move side by side, directly into the next database (the default) or
 * through their files; a part that committed before a crash but was not recorded is taken
 * back on resume (key ranges) or its table is reloaded (heap pages), never loaded twice.
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import type { Manifest } from '../../pipeline/run-state/run-dir.ts'
import { configIn, onlyRun, readManifest, readReport, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import { chosenEngines } from '../helpers/engine-choice.ts'
import * as my from '../helpers/mysql.ts'
import * as pg from '../helpers/postgres.ts'

const PART_BYTES = 512 * 1024
/** Any afterMigrate hook makes every table go back into production (no table kept live on MySQL). */
const COPY_ALL = { afterMigrate: 'true' }

const ALL_ENGINES = [
  {
    engine: 'postgres',
    helpers: pg,
    url: pg.pgUrl,
    prefix: pg.uniquePrefix('parts'),
    seed: `
      CREATE TABLE big (id bigint PRIMARY KEY, body text, n numeric);
      INSERT INTO big SELECT i, repeat(md5(i::text), 8), i * 1.5 FROM generate_series(1, 20000) i;
      CREATE TABLE nokey (a int, b text);
      INSERT INTO nokey SELECT i % 100, repeat('x', 200) || i FROM generate_series(1, 20000) i;
      CREATE TABLE gen (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED, pad text);
      INSERT INTO gen (id, a, pad) SELECT i, i, repeat('p', 100) FROM generate_series(1, 10000) i;
      CREATE TABLE small (id int PRIMARY KEY, v text);
      INSERT INTO small VALUES (1, 'a');
      ANALYZE;`,
    nokeySplits: 'pages',
  },
  {
    engine: 'mysql',
    helpers: my,
    url: my.myUrl,
    prefix: my.uniquePrefix('parts'),
    seed: `
      CREATE TABLE big (id BIGINT PRIMARY KEY, body TEXT, n DECIMAL(20,2));
      INSERT INTO big SELECT seq, REPEAT(MD5(seq), 8), seq * 1.5 FROM seq_1_to_20000;
      CREATE TABLE nokey (a INT, b TEXT);
      INSERT INTO nokey SELECT seq % 100, CONCAT(REPEAT('x', 200), seq) FROM seq_1_to_20000;
      CREATE TABLE gen (id INT PRIMARY KEY AUTO_INCREMENT, a INT, b INT AS (a * 2) STORED, pad TEXT);
      INSERT INTO gen (id, a, pad) SELECT seq, seq, REPEAT('p', 100) FROM seq_1_to_10000;
      CREATE TABLE small (id INT PRIMARY KEY, v TEXT);
      INSERT INTO small VALUES (1, 'a');
      ANALYZE TABLE big, nokey, gen, small;`,
    nokeySplits: 'whole',
  },
] as const
const engines = chosenEngines(ALL_ENGINES, (e) => e.engine)

afterAll(async () => {
  for (const e of engines) await e.helpers.dropDatabasesWithPrefix(e.prefix)
  removeTempDirs()
})

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

describe.each(engines)('$engine: tables split into parts', (e) => {
  const tableKey = (db: string, name: 'big' | 'nokey') => (e.engine === 'postgres' ? `public.${name}` : `${db}.${name}`)

  async function source(tag: string): Promise<string> {
    const db = `${e.prefix}_${tag}`
    await e.helpers.createDatabase(db)
    if (e.engine === 'postgres') await pg.sql(db, e.seed)
    else for (const statement of e.seed.split(';').map((s) => s.trim()).filter(Boolean)) await my.sql(db, statement)
    return db
  }

  it('direct mode: every part has its own verified file, and production ends row-for-row equal', async () => {
    const db = await source('direct')
    const before = await e.helpers.tableDigests(db)
    // URL staging: drydock's ephemeral PostgreSQL staging takes tables whole (docs/how-it-works.md, "Parts").
    const config = configIn(tempDir(`parts-${e.engine}`), { source: e.url(db), staging: e.url(`${db}_stg`), hooks: COPY_ALL })
    const result = await runUpgrade(config, { ...RUN_OPTIONS, partBytes: PART_BYTES })
    expect(result.report.verdict).toBe('verified')
    expect(await e.helpers.tableDigests(db)).toEqual(before)
    const manifest = readManifest(result.runDir)
    const big = manifest.tables[tableKey(db, 'big')]!
    expect(big.parts!.length).toBeGreaterThan(2)
    expect(big.parts!.every((p) => p.range?.kind === 'key' && p.loaded)).toBe(true)
    expect(big.dump).toEqual({ rows: 20000, bytes: big.parts!.reduce((s, p) => s + p.file!.bytes, 0), files: big.parts!.length })
    for (const part of big.parts!) expect(sha256(join(result.runDir, 'dump', part.file!.file))).toBe(part.file!.sha256)
    const nokey = manifest.tables[tableKey(db, 'nokey')]!
    if (e.nokeySplits === 'pages') expect(nokey.parts!.every((p) => p.range?.kind === 'pages')).toBe(true)
    else expect(nokey.parts).toEqual([expect.objectContaining({ loaded: true })])
    const bigReport = readReport(result.runDir).hop1.tables.find((t) => t.table === tableKey(db, 'big'))!
    expect(bigReport).toMatchObject({ check: 'ok', rows: 20000, file: null, sha256: null })
    expect(bigReport.files).toHaveLength(big.parts!.length)
    expect(Object.values(manifest.migrated).every((t) => t.parts?.every((p) => p.loaded))).toBe(true)
  })

  it('through gzip files (direct: false), rate-limited load back: the same result', async () => {
    const db = await source('files')
    const before = await e.helpers.tableDigests(db)
    const config = configIn(tempDir(`parts-${e.engine}`), { source: e.url(db), direct: false, compress: 'gzip', throttle: { maxRate: '5MB/s' }, hooks: COPY_ALL })
    const result = await runUpgrade(config, { ...RUN_OPTIONS, partBytes: PART_BYTES })
    expect(result.report.verdict).toBe('verified')
    // The load back into production went through the rate limit (and waited on it).
    expect(readManifest(result.runDir).throttle?.limitedMs).toBeGreaterThan(0)
    expect(await e.helpers.tableDigests(db)).toEqual(before)
    const parts = readManifest(result.runDir).tables[tableKey(db, 'big')]!.parts!
    expect(parts.length).toBeGreaterThan(2)
    for (const { file } of parts) {
      expect(file).toMatchObject({ compression: 'gzip', file: expect.stringMatching(/\.gz$/) })
      expect(sha256(join(result.runDir, 'dump', file!.file))).toBe(file!.sha256)
      expect(file!.rawBytes).toBeGreaterThan(file!.bytes)
    }
  })

  it('resume after parts committed but not recorded: taken back or reloaded, never twice', async () => {
    const db = await source('resume')
    const before = await e.helpers.tableDigests(db)
    // Compressed files written by direct mode's tee; the resume loads some parts from them.
    const config = configIn(tempDir(`parts-${e.engine}`), { source: e.url(db), staging: e.url(`${db}_stg`), compress: 'gzip' })
    const stop = (stage: string) => { if (stage === 'dump') throw new Error('stopped by the test after the dump') }
    await expect(runUpgrade(config, { ...RUN_OPTIONS, partBytes: PART_BYTES, afterStage: stop })).rejects.toThrow('stopped by the test')
    const runDir = onlyRun(config)
    // As if drydock had died right after these parts committed on staging: not recorded.
    const path = join(runDir, 'manifest.json')
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest
    const big = manifest.tables[tableKey(db, 'big')]!
    big.parts![1]!.loaded = false
    delete big.parts![2]!.file
    big.parts![2]!.loaded = false
    delete big.dump
    big.loaded = false
    const nokey = manifest.tables[tableKey(db, 'nokey')]!
    nokey.parts![0]!.loaded = false
    nokey.loaded = false
    delete manifest.stages.dump
    writeFileSync(path, JSON.stringify(manifest))
    const result = await resumeUpgrade(runDir, config, { ...RUN_OPTIONS, partBytes: PART_BYTES })
    expect(result.report.verdict).toBe('verified')
    expect(await e.helpers.tableDigests(db)).toEqual(before)
    const hop1 = readReport(runDir).hop1.tables.find((t) => t.table === tableKey(db, 'big'))!
    expect(hop1.staging).toEqual(hop1.production)
  })
})
