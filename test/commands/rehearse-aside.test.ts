/**
 * `--rehearse` loads back aside (config rehearsalTarget): by default into a second database on
 * the staging server, or into a database URL of the operator's choice; production is only read.
 * "Production" here is a throwaway server of its own (drydock's ephemeral server), so that its
 * write-ahead log insert position (PostgreSQL) and CREATE DATABASE counter (MariaDB) can prove that
 * nothing was written there: the shared servers carry other tests' traffic.
 */
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import type { Driver, EphemeralServer } from '../../pipeline/drivers/driver.ts'
import { driverFor } from '../../pipeline/drivers/registry.ts'
import { type Endpoint, withDatabase } from '../../pipeline/config/endpoint.ts'
import { planUpgrade } from '../../pipeline/plan/plan.ts'
import { pastRuns } from '../../pipeline/plan/past-runs.ts'
import { planText } from '../../pipeline/plan/plan-text.ts'
import { compareWithPrevious } from '../../pipeline/plan/rehearsal-compare.ts'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, onlyRun, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engine-servers.ts'

const SEED = {
  postgres: `CREATE TABLE public.note (id serial PRIMARY KEY, body text NOT NULL);
    INSERT INTO public.note (body) SELECT md5(i::text) FROM generate_series(1, 50) i;
    CREATE TABLE public.item (id serial PRIMARY KEY, label text NOT NULL, note_id int NOT NULL REFERENCES public.note (id));
    INSERT INTO public.item (label, note_id) SELECT repeat(md5(i::text), 4), 1 + i % 50 FROM generate_series(1, 3000) i;`,
  mysql: `CREATE TABLE note (id int AUTO_INCREMENT PRIMARY KEY, body text NOT NULL);
    INSERT INTO note (body) SELECT MD5(seq) FROM seq_1_to_50;
    CREATE TABLE item (id int AUTO_INCREMENT PRIMARY KEY, label text NOT NULL, note_id int NOT NULL, CONSTRAINT item_note_fk FOREIGN KEY (note_id) REFERENCES note (id));
    INSERT INTO item (label, note_id) SELECT REPEAT(MD5(seq), 4), 1 + seq % 50 FROM seq_1_to_3000;`,
}
const UPGRADE = {
  postgres: 'ALTER TABLE public.item ADD COLUMN flag boolean DEFAULT true;',
  mysql: 'ALTER TABLE item ADD COLUMN flag tinyint(1) DEFAULT 1;',
}

/** What would show any write to the server: the WAL position, or the count of CREATE DATABASE and every database. */
async function serverMarks(driver: Driver, server: Endpoint): Promise<Record<string, string | null>> {
  const session = await driver.connect(server)
  try {
    if (driver.engine === 'postgres') {
      return {
        // The insert position: with synchronous_commit off pg_current_wal_lsn() (the write position) lags behind.
        lsn: await session.queryValue!('SELECT pg_current_wal_insert_lsn()::text'),
        databases: await session.queryValue!('SELECT string_agg(datname, \',\' ORDER BY datname) FROM pg_database'),
      }
    }
    return {
      createDb: await session.queryValue!("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_CREATE_DB'"),
      databases: await session.queryValue!('SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY SCHEMA_NAME) FROM information_schema.SCHEMATA'),
    }
  } finally {
    await session.close()
  }
}

async function appState(driver: Driver, app: Endpoint): Promise<Record<string, string | null>> {
  const session = await driver.connect(app)
  const schema = driver.engine === 'postgres' ? 'public' : app.database
  try {
    return {
      items: await session.queryValue!(driver.engine === 'postgres'
        ? 'SELECT md5(string_agg(concat_ws(\'|\', id, label, note_id), \',\' ORDER BY id)) FROM public.item'
        : "SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, label, note_id) ORDER BY id)) FROM item"),
      columns: await session.queryValue!(`SELECT count(*) FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'item'`),
    }
  } finally {
    await session.close()
  }
}

describe.each(ENGINES)('--rehearse loads back aside on $name', (engine) => {
  let driver: Driver
  let production: EphemeralServer
  let app: Endpoint
  let dir: string
  const prefix = engine.uniquePrefix('reh')

  beforeAll(async () => {
    driver = await driverFor(engine.name)
    dir = tempDir(`reh-${engine.name}`)
    production = await driver.startEphemeral(join(dir, 'production'), {
      major: engine.name === 'postgres' ? 15 : 0, logFile: join(dir, 'production.log'), superuser: engine.name === 'postgres' ? 'postgres' : 'dd_prod',
    })
    await driver.createDatabase(production.endpoint, 'app')
    app = withDatabase(production.endpoint, 'app')
    await driver.runSqlFile(app, writeFile(dir, 'seed.sql', SEED[engine.name]), join(dir, 'seed.log'))
    writeFile(dir, 'up.sql', UPGRADE[engine.name])
    if (engine.name === 'postgres') {
      // Dead catalog rows left by the seed's DDL would be pruned (WAL written) by the first
      // reader of their pages, whoever it is: vacuum them now so that only writes move the WAL.
      const client = new pg.Client({ host: app.host, port: app.port, user: app.user, database: app.database })
      await client.connect()
      await client.query('VACUUM').finally(() => client.end())
    }
  }, 180_000)

  afterAll(async () => {
    await production?.stop()
    await engine.dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  const url = (ep: Endpoint) => `${engine.name === 'postgres' ? 'postgres' : 'mysql'}://${ep.user}@${ep.host}:${ep.port}/${ep.database}`
  const config = (extra: Record<string, unknown> = {}) => configIn(dir, { source: url(app), migrate: [{ sql: 'up.sql' }], ...extra })

  it('--plan before any rehearsal reads a sample of the largest table with a worker per job, and writes nothing', async () => {
    const marksBefore = await serverMarks(driver, production.endpoint)
    const plan = await planUpgrade(config(), 2)
    const item = engine.name === 'postgres' ? 'public.item' : 'app.item'
    // The largest table first: the worker on it sets the floor of a table copied whole.
    expect(plan.basis).toMatch(new RegExp(`MB/s read sample of ${item.replace('.', '\\.')}(, \\S+)? \\(2 workers side by side|^no trustworthy read sample \\(the machine was busy`))
    expect(plan.stages.find((s) => s.stage === 'dump')!.seconds).toBeGreaterThan(0)
    expect(await serverMarks(driver, production.endpoint)).toEqual(marksBefore)
    expect(pastRuns(join(dir, 'runs'), join(dir, 'upgrade.config.mjs'))).toEqual([])
  })

  it('writes nothing to production: hop 2 verifies a second database on the staging server, then it is dropped', async () => {
    const marksBefore = await serverMarks(driver, production.endpoint)
    const before = await appState(driver, app)
    let copy: { onStaging: boolean; onProduction: boolean; target: string } | undefined
    const moved: string[] = []
    const atHop2 = async (stage: string, ctx: RunContext) => {
      const marks = await serverMarks(driver, production.endpoint)
      if (JSON.stringify(marks) !== JSON.stringify(marksBefore)) moved.push(`${stage}: ${JSON.stringify(marks)}`)
      if (stage !== 'verify-hop2') return
      const name = ctx.manifest.data.target.shadow!
      copy = {
        onStaging: await driver.databaseExists(ctx.ephemeral!.endpoint, name),
        onProduction: await driver.databaseExists(production.endpoint, name),
        target: `${ctx.loadTarget!.host}:${ctx.loadTarget!.port}`,
      }
      expect(copy.target).toBe(`${ctx.ephemeral!.endpoint.host}:${ctx.ephemeral!.endpoint.port}`)
    }
    const result = await runUpgrade(config(), { ...RUN_OPTIONS, rehearse: true, afterStage: atHop2 })
    expect(result.report.verdict).toBe('verified')
    expect(moved, `production written (was ${JSON.stringify(marksBefore)})`).toEqual([])
    const item = result.report.hop2.tables.find((t) => t.table.endsWith('.item'))
    expect(item?.check).toBe('ok')
    expect(result.report.hop2.verified).toBe(2)
    expect(copy).toMatchObject({ onStaging: true, onProduction: false })
    const manifest = readManifest(result.runDir)
    expect(manifest.target.rehearsal).toMatchObject({ kind: 'staging' })
    expect(manifest.target.shadowCreated).toBe(false)
    // Nothing on production moved: no WAL written / no CREATE DATABASE, the same databases, rows and columns.
    expect(await serverMarks(driver, production.endpoint)).toEqual(marksBefore)
    expect(await appState(driver, app)).toEqual(before)
  }, 300_000)

  it('a rehearsal stopped after its load back resumes onto the same copy on staging, and production stays unwritten', async () => {
    const marksBefore = await serverMarks(driver, production.endpoint)
    const dirResume = tempDir(`reh-resume-${engine.name}`)
    writeFile(dirResume, 'up.sql', UPGRADE[engine.name])
    const cfg = configIn(dirResume, { source: url(app), migrate: [{ sql: 'up.sql' }] })
    const stop = (stage: string) => { if (stage === 'loadback') throw new Error('stopped by the test after the load back') }
    await expect(runUpgrade(cfg, { ...RUN_OPTIONS, rehearse: true, afterStage: stop })).rejects.toThrow('stopped by the test after the load back')
    const run = onlyRun(cfg)
    expect(readManifest(run).target).toMatchObject({ rehearsal: { kind: 'staging' }, shadowCreated: true })
    const result = await resumeUpgrade(run, cfg, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(result.report.hop2.verified).toBe(2)
    expect(readManifest(run).target.shadowCreated).toBe(false)
    expect(await serverMarks(driver, production.endpoint)).toEqual(marksBefore)
  }, 300_000)

  it('then --plan says the load back was measured on staging, not production', async () => {
    const plan = await planUpgrade(config(), 2)
    // (MariaDB's catalog sizes of fresh tables settle after a while: the scale need not be 1.)
    expect(plan.basis).toMatch(/^rehearsal \d{8}-\d{6}, scaled ×[\d.]+ by data size$/)
    expect(plan.loadbackBasis).toMatch(/^measured by rehearsal \d{8}-\d{6} loading into a second database on drydock's ephemeral staging server .*, scaled ×[\d.]+ by data size; (the rehearsal copied every table; the upgrade keeps the \d+ it left unchanged live and copies \d+ % of its bytes .*; )?production's own load back also pays its durability/)
    expect(planText(plan)).toContain(`Load back: ${plan.loadbackBasis}`)
  }, 120_000)

  it('loads into a database URL of the operator\'s choice (rehearsalTarget), and drops what it created there', async () => {
    const marksBefore = await serverMarks(driver, production.endpoint)
    const chosen = `${prefix}_copy`
    let copied: string | null | undefined
    const atHop2 = async (stage: string, ctx: RunContext) => {
      if (stage === 'verify-hop2') copied = (await engine.tableDigests(chosen))[engine.name === 'postgres' ? 'public.item' : 'item']
    }
    const result = await runUpgrade(config({ rehearsalTarget: engine.url(chosen) }), { ...RUN_OPTIONS, rehearse: true, afterStage: atHop2 })
    expect(result.report.verdict).toBe('verified')
    expect(copied).toMatch(/^3000:/)
    expect(readManifest(result.runDir).target.rehearsal).toMatchObject({ kind: 'url', database: chosen })
    expect(await engine.databaseExists(chosen)).toBe(false)
    expect(await serverMarks(driver, production.endpoint)).toEqual(marksBefore)
    const plan = await planUpgrade(config({ rehearsalTarget: engine.url(chosen) }), 2)
    expect(plan.loadbackBasis).toContain(`${chosen} (rehearsalTarget)`)
    // The comparison with the rehearsal before does not mistake another place for a change.
    const [latest, previous] = pastRuns(config().runDir, config().file, { rehearsalsOnly: true })
    const changes = compareWithPrevious(latest!, previous!)
    expect(changes.filter((line) => line.startsWith('loadback and verify-hop2 not compared: this rehearsal loaded into '))).toHaveLength(1)
    expect(changes.filter((line) => /^(loadback|verify-hop2) took/.test(line))).toEqual([])
  }, 300_000)
})
