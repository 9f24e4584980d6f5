import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ParsedConfig } from '../../pipeline/config/config.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, onlyRun, readManifest, removeTempDirs, REPO, RUN_OPTIONS, runCli, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databaseExists, databasesWithPrefix, dropDatabasesWithPrefix, pgUrl, sql, tableDigests, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('resume')

async function seed(name: string, rows = 2000): Promise<Record<string, string>> {
  await createDatabase(name)
  await sql(name, `CREATE TABLE public.big (id serial PRIMARY KEY, body text NOT NULL);
    INSERT INTO public.big (body) SELECT repeat(md5(i::text), 10) FROM generate_series(1, ${rows}) i;
    CREATE TABLE public.small (id serial PRIMARY KEY, big_id int REFERENCES public.big (id), note text);
    INSERT INTO public.small (big_id, note) SELECT i, 'n' || i FROM generate_series(1, ${Math.min(rows, 500)}) i;`)
  return tableDigests(name)
}

function events(runDir: string): string {
  return readFileSync(join(runDir, 'logs', 'events.jsonl'), 'utf8')
}

function dumpTimes(runDir: string): Record<string, number> {
  const dir = join(runDir, 'dump')
  return Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]))
}

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('resume after a failure', () => {
  const source = `${prefix}_mig`
  let before: Record<string, string>
  let config: ParsedConfig
  let flag: string

  beforeAll(async () => {
    before = await seed(source)
    const dir = tempDir('resume-mig')
    flag = writeFile(dir, 'broken.flag', 'remove me to fix step 2')
    writeFile(dir, 'up.sql', 'ALTER TABLE public.small ADD COLUMN flag boolean NOT NULL DEFAULT true')
    config = configIn(dir, {
      source: pgUrl(source), staging: pgUrl(`${source}_stg`),
      migrate: [{ sql: 'up.sql' }, { name: 'app check', command: `test ! -e ${flag}` }],
    })
  })

  it('stops at the failing step, keeps staging, and says how to continue', async () => {
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    expect(error.ctx.hint).toContain(`--resume ${onlyRun(config)} --from migrate`)
    expect(await databaseExists(`${source}_stg`)).toBe(true)
    expect(await tableDigests(source)).toEqual(before)
  })

  it('continues from that step: no stage or step redone, the upgrade verified', async () => {
    const runDir = onlyRun(config)
    const dumped = dumpTimes(runDir)
    truncateSync(flag, 0)
    await import('node:fs').then((fs) => fs.rmSync(flag))
    const result = await resumeUpgrade(runDir, config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(result.runDir).toBe(runDir)
    for (const stage of ['snapshot', 'dump', 'load', 'verify-hop1']) {
      expect(events(runDir)).toContain(`"kind":"stage-skip","stage":"${stage}","reason":"already done on a previous attempt"`)
    }
    expect(events(runDir)).toContain('skipping step 1 (up.sql): done on a previous attempt')
    expect(dumpTimes(runDir)).toEqual(dumped)
    expect(readManifest(runDir).steps.map((s) => [s.index, s.status])).toEqual([[1, 'done'], [2, 'done']])
    expect(await sql(source, 'SELECT count(*) AS n FROM public.small WHERE flag')).toEqual([{ n: '500' }])
    expect((await tableDigests(source))['public.big']).toBe(before['public.big'])
    expect(await databaseExists(`${source}_stg`)).toBe(false)
  })

  it('refuses to resume a finished run', async () => {
    await expectDrydockError(resumeUpgrade(onlyRun(config), config, RUN_OPTIONS), 'DD_NOTHING_TO_RESUME')
  })
})

describe('resume refuses', () => {
  it('a production schema that changed since the run began', async () => {
    const source = `${prefix}_schema`
    await seed(source)
    const dir = tempDir('resume-schema')
    const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${source}_stg`), migrate: [{ command: 'exit 1' }] })
    await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    await sql(source, 'ALTER TABLE public.small ADD COLUMN sneaky int')
    const error = await expectDrydockError(resumeUpgrade(onlyRun(config), config, RUN_OPTIONS), 'DD_RESUME_SCHEMA_CHANGED')
    expect(error.message).toContain('changed since run')
  })

  it('a config for another database', async () => {
    const source = `${prefix}_other`
    await seed(source)
    const dir = tempDir('resume-other')
    const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${source}_stg`), migrate: [{ command: 'exit 1' }] })
    await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    const other = configIn(dir, { source: pgUrl(`${prefix}_mig`) })
    await expectDrydockError(resumeUpgrade(onlyRun(config), other, RUN_OPTIONS), 'DD_RESUME_MISMATCH')
  })
})

describe('a damaged dump file', () => {
  it('stops the load with the table named, and --resume dumps that table again', async () => {
    const source = `${prefix}_dmg`
    const before = await seed(source)
    const dir = tempDir('resume-dmg')
    const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${source}_stg`) })
    const damage = (stage: string, ctx: { paths: { dumpDir: string } }) => {
      if (stage !== 'dump') return
      const file = readdirSync(ctx.paths.dumpDir).find((f) => f.includes('public.big'))!
      truncateSync(join(ctx.paths.dumpDir, file), 1000)
    }
    const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, direct: false, afterStage: damage }), 'DD_DUMP_CORRUPT')
    expect(error.ctx.table).toBe('public.big')
    const runDir = onlyRun(config)
    const result = await resumeUpgrade(runDir, config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(events(runDir)).toContain('skipping public.small: dumped and intact from a previous attempt')
    expect(await tableDigests(source)).toEqual(before)
  })
})

describe('locks', () => {
  it('a second run on the same production database is refused, naming the holder', async () => {
    const source = `${prefix}_lock`
    await seed(source, 10)
    const held = await postgresDriver.lockSource({ engine: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', database: source, params: {} }, '20260101-000000')
    try {
      const config = configIn(tempDir('lock'), { source: pgUrl(source), staging: pgUrl(`${source}_stg`) })
      const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_SOURCE_LOCKED')
      expect(error.message).toContain(`another drydock run is working on database "${source}": drydock run 20260101-000000 (pid`)
      expect(await databasesWithPrefix(`${source}_`)).toEqual([])
    } finally {
      await held.release()
    }
  })

  it('a run directory in use by a live process is refused', async () => {
    const source = `${prefix}_dirlock`
    await seed(source, 10)
    const dir = tempDir('dirlock')
    const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${source}_stg`), migrate: [{ command: 'exit 1' }] })
    await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    const runDir = onlyRun(config)
    writeFile(runDir, 'lock', JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), since: 'now' }))
    const error = await expectDrydockError(resumeUpgrade(runDir, config, RUN_OPTIONS), 'DD_RUN_LOCKED')
    expect(error.message).toContain(`is in use by process ${process.pid}`)
  })
})

describe('--cleanup of a stopped run', () => {
  it('discards its staging and leaves production as it was', async () => {
    const source = `${prefix}_abandon`
    const before = await seed(source, 10)
    const dir = tempDir('abandon')
    const configFile = writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ source: pgUrl(source), staging: pgUrl(`${source}_stg`), runDir: 'runs', migrate: [{ command: 'exit 1' }] })}`)
    const run = await runCli(['--config', configFile, '--yes'])
    expect(run.code).toBe(1)
    const runDir = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]!)
    expect(await databaseExists(`${source}_stg`)).toBe(true)
    const cleanup = await runCli(['--config', configFile, '--cleanup', runDir])
    expect(cleanup.code, cleanup.stderr).toBe(0)
    expect(cleanup.stdout).toContain(`abandoned run ${readManifest(runDir).runId}: removed staging database ${source}_stg; production was not touched`)
    expect(await databaseExists(`${source}_stg`)).toBe(false)
    expect(readManifest(runDir).verdict).toBe('abandoned')
    expect(await tableDigests(source)).toEqual(before)
  })
})

describe('interrupted runs (child processes)', () => {
  function start(args: string[]) {
    const child = spawn(join(REPO, 'node_modules', '.bin', 'zx'), [join(REPO, 'scripts', 'offline-upgrade.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
    const exit = new Promise<number | null>((done) => child.on('close', (code, signal) => done(code ?? (signal ? -1 : null))))
    return { child, exit, stderr: () => stderr }
  }

  async function waitFor(condition: () => boolean, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not reached')
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  async function waitForAsync(condition: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('condition not reached')
    }
  }

  /** Statements of drydock's under way on the run's ephemeral staging server (manifest: staging.endpoint). */
  async function statementsOnStaging(runs: string): Promise<number> {
    const manifest = readManifest(join(runs, readdirSync(runs)[0]!))
    const endpoint = manifest.staging.endpoint
    if (!endpoint) return 0
    const client = new pg.Client({ connectionString: endpoint })
    await client.connect()
    try {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'drydock' AND state = 'active'")
      return Number(rows[0]!.n)
    } finally {
      await client.end()
    }
  }

  function stageOf(runs: string, stage: string): string | undefined {
    if (!existsSync(runs) || readdirSync(runs).length === 0) return undefined
    const manifest = join(runs, readdirSync(runs)[0]!, 'manifest.json')
    if (!existsSync(manifest)) return undefined
    try {
      return (JSON.parse(readFileSync(manifest, 'utf8')) as { stages: Record<string, { status: string }> }).stages[stage]?.status
    } catch {
      return undefined
    }
  }

  it('SIGKILL during the load, then --resume: the run completes with every checksum equal (ephemeral staging)', async () => {
    const source = `${prefix}_kill`
    const before = await seed(source, 300_000)
    const dir = tempDir('kill')
    const configFile = writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ source: pgUrl(source), runDir: 'runs', jobs: 1 })}`)
    const runs = join(dir, 'runs')
    const run = start(['--config', configFile, '--yes'])
    await waitFor(() => stageOf(runs, 'load') === 'running')
    // Killed while the load has a statement running on staging (post-data, statistics), not between two.
    await waitForAsync(async () => {
      if (stageOf(runs, 'load') !== 'running') throw new Error('the load ended before a statement of it was seen on staging')
      return (await statementsOnStaging(runs)) > 0
    })
    run.child.kill('SIGKILL')
    await run.exit
    const runDir = join(runs, readdirSync(runs)[0]!)
    expect(readManifest(runDir).stages.load?.status).toBe('running')
    const resumed = await runCli(['--resume', runDir, '--yes'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/verdict: VERIFIED/)
    expect(await tableDigests(source)).toEqual(before)
    expect(existsSync(join(runDir, 'staging', 'pgdata'))).toBe(false)
  })

  it('Ctrl-C (SIGINT) stops cleanly with exit code 130 and a resume hint; --resume completes', async () => {
    const source = `${prefix}_int`
    const before = await seed(source, 300_000)
    const dir = tempDir('int')
    const configFile = writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ source: pgUrl(source), staging: pgUrl(`${source}_stg`), runDir: 'runs', jobs: 1 })}`)
    const runs = join(dir, 'runs')
    const run = start(['--config', configFile, '--yes'])
    await waitFor(() => stageOf(runs, 'dump') === 'running')
    run.child.kill('SIGINT')
    expect(await run.exit, run.stderr()).toBe(130)
    const runDir = join(runs, readdirSync(runs)[0]!)
    expect(run.stderr()).toContain('[DD_INTERRUPTED]')
    expect(run.stderr()).toContain(`resume with: npx zx scripts/offline-upgrade.mjs --resume ${runDir}`)
    const manifest = readManifest(runDir)
    expect(manifest.failure?.code).toBe('DD_INTERRUPTED')
    expect(existsSync(join(runDir, 'lock'))).toBe(false)
    const resumed = await runCli(['--resume', runDir, '--yes'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(await tableDigests(source)).toEqual(before)
  })
})
