/**
 * Whole runs behind fault proxies (test/helpers/fault-proxy.ts), on each engine: production
 * through one proxy, staging through another, and one connection cut in each stage that moves
 * or checks rows — the dump (a snapshot worker), the load into staging, hop 1 (a snapshot
 * worker's checksum), the load back and hop 2. The faults are placed by what the client does
 * (after N bytes on a connection, or on the statement that computes a checksum), never by a
 * clock. After each the run ends verified, and production is row for row what it was: nothing
 * lost, nothing loaded twice (a table without a key shows duplicates in its digest).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StageName } from '../../pipeline/errors.ts'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, onlyRun, readReport, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.ts'
import { chosenEngines } from '../helpers/engine-choice.ts'
import * as my from '../helpers/mysql.ts'
import * as pg from '../helpers/postgres.ts'

const PART_BYTES = 512 * 1024
/** Below a part's size: the byte cut lands inside a part's transfer. */
const CUT_BYTES = 300_000
/** An afterMigrate hook makes every table go back into production (none kept live on MySQL). */
const COPY_ALL = { afterMigrate: 'true' }

const ALL_ENGINES = [
  {
    engine: 'postgres', helpers: pg, host: pg.PG_HOST, port: pg.PG_PORT, prefix: pg.uniquePrefix('prun'),
    url: (db: string, port: number) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    seed: `
      CREATE TABLE big (id bigint PRIMARY KEY, body text);
      INSERT INTO big SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 12000) i;
      CREATE TABLE nokey (a int, b text);
      INSERT INTO nokey SELECT i % 50, repeat('x', 100) FROM generate_series(1, 3000) i;
      ANALYZE;`,
    checksumMarker: 'hashtextextended(',
    exhausted: 'DD_TRANSIENT_EXHAUSTED',
  },
  {
    engine: 'mysql', helpers: my, host: my.MY_HOST, port: my.MY_PORT, prefix: my.uniquePrefix('prun'),
    url: (db: string, port: number) => `mysql://root@127.0.0.1:${port}/${db}`,
    seed: `
      CREATE TABLE big (id BIGINT PRIMARY KEY, body TEXT);
      INSERT INTO big SELECT seq, REPEAT(MD5(seq), 8) FROM seq_1_to_12000;
      CREATE TABLE nokey (a INT, b TEXT);
      INSERT INTO nokey SELECT seq % 50, REPEAT('x', 100) FROM seq_1_to_3000;
      ANALYZE TABLE big, nokey`,
    checksumMarker: 'CONV(LEFT(SHA1(',
    exhausted: 'DD_SNAPSHOT_LOST',
  },
] as const
const engines = chosenEngines(ALL_ENGINES, (e) => e.engine)

afterAll(async () => {
  for (const e of engines) await e.helpers.dropDatabasesWithPrefix(e.prefix)
  removeTempDirs()
})

interface Cut {
  readonly name: string
  /** Armed once this stage is done, on open connections too (the snapshot's workers). */
  readonly after: StageName
  readonly side: 'production' | 'staging'
  readonly how: 'bytes' | 'checksum'
  readonly direct?: boolean
  /** The unit the retry warning names. */
  readonly unit: RegExp
}

const CUTS: Cut[] = [
  { name: 'dump: a snapshot worker cut mid-part', after: 'staging', side: 'production', how: 'bytes', unit: /^copy .* from production into staging: attempt 1/ },
  { name: 'load: a staging writer cut mid-part (direct mode)', after: 'staging', side: 'staging', how: 'bytes', unit: /^copy .* from production into staging: attempt 1/ },
  { name: 'load: a staging load cut mid-file', after: 'dump', side: 'staging', how: 'bytes', direct: false, unit: /^load .* into staging: attempt 1/ },
  { name: 'hop 1: a snapshot worker cut on its checksum', after: 'load', side: 'production', how: 'checksum', unit: /^checksum .* on production: attempt 1/ },
  { name: 'load back: a production-copy writer cut mid-part', after: 'migrate', side: 'production', how: 'bytes', unit: /^copy .* from staging into the production copy: attempt 1/ },
  { name: 'hop 2: a production-copy checksum cut', after: 'loadback', side: 'production', how: 'checksum', unit: /^checksum .* on the production copy: attempt 1/ },
]

describe.each(engines)('$engine: a whole run through fault proxies', (e) => {
  let production: FaultProxy
  let staging: FaultProxy
  beforeAll(async () => {
    production = await startFaultProxy({ target: { host: e.host, port: e.port }, lifetimeMs: 600_000 })
    staging = await startFaultProxy({ target: { host: e.host, port: e.port }, lifetimeMs: 600_000 })
  })
  afterAll(async () => {
    await production.close()
    await staging.close()
  })

  let count = 0
  async function source(): Promise<string> {
    const db = `${e.prefix}_${++count}`
    await e.helpers.createDatabase(db)
    if (e.engine === 'postgres') await pg.sql(db, e.seed)
    else for (const statement of e.seed.split(';').map((s) => s.trim()).filter(Boolean)) await my.sql(db, statement)
    return db
  }

  const configFor = (db: string, direct = true) => configIn(tempDir(`prun-${e.engine}`), {
    source: e.url(db, production.port), staging: e.url(`${db}_stg`, staging.port), hooks: COPY_ALL, direct,
  })

  function warnings(runDir: string): string[] {
    return readFileSync(join(runDir, 'logs', 'events.jsonl'), 'utf8').trim().split('\n')
      .map((line) => JSON.parse(line) as { kind: string; message?: string })
      .filter((event) => event.kind === 'warning').map((event) => event.message!)
  }

  function arm(cut: Cut): () => number {
    const proxy = cut.side === 'production' ? production : staging
    const before = proxy.stats.cutBytes + proxy.stats.cutQuery
    if (cut.how === 'bytes') proxy.armCut(CUT_BYTES, 1, { open: true })
    else proxy.armCutOnQuery(e.checksumMarker, 1)
    return () => proxy.stats.cutBytes + proxy.stats.cutQuery - before
  }

  it.each(CUTS)('$name: retried, the run verifies, production row for row as before', async (cut) => {
    const db = await source()
    const before = await e.helpers.tableDigests(db)
    const config = configFor(db, cut.direct ?? true)
    let cuts = () => 0
    const afterStage = (stage: StageName) => { if (stage === cut.after) cuts = arm(cut) }
    const result = await runUpgrade(config, { ...RUN_OPTIONS, partBytes: PART_BYTES, afterStage })
    expect(cuts()).toBe(1)
    expect(warnings(result.runDir).filter((w) => cut.unit.test(w)), warnings(result.runDir).join('\n')).toHaveLength(1)
    expect(result.report.verdict).toBe('verified')
    expect(await e.helpers.tableDigests(db)).toEqual(before)
    const report = readReport(result.runDir)
    for (const t of report.hop1.tables) expect(t.staging).toEqual(t.production)
    expect(report.hop2.verified).toBe(report.hop2.tables.length)
  })

  it('a worker cut every time it reaches a part: a clear resumable stop, and --resume completes', async () => {
    const db = await source()
    const before = await e.helpers.tableDigests(db)
    const config = configFor(db)
    const afterStage = (stage: StageName) => { if (stage === 'staging') production.armCut(CUT_BYTES, Number.POSITIVE_INFINITY, { open: true }) }
    const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, partBytes: PART_BYTES, afterStage }), e.exhausted)
    production.armCut(Number.POSITIVE_INFINITY, 0)
    const runDir = onlyRun(config)
    expect(error.ctx.hint).toContain(`--resume ${runDir}`)
    expect(await e.helpers.tableDigests(db)).toEqual(before)
    const result = await resumeUpgrade(runDir, config, { ...RUN_OPTIONS, partBytes: PART_BYTES })
    expect(result.report.verdict).toBe('verified')
    expect(await e.helpers.tableDigests(db)).toEqual(before)
  })
})
