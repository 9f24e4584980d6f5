/**
 * Issue 11: a migration's inputs are checked before the snapshot (and by --plan), and a failed
 * or killed migration recovers from staging as hop 1 left it — rebuilt from the dump files when
 * the run kept no checkpoint — on both engines.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { readFile, writeFile as writeFileAsync } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { planUpgrade } from '../../pipeline/plan/plan.ts'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import {
  configIn, expectDrydockError, onlyRun, readManifest, REPO, removeTempDirs, RUN_OPTIONS, runCli, tempDir, writeFile,
} from '../helpers/drydock.ts'
import { chosenEngines } from '../helpers/engine-choice.ts'
import * as my from '../helpers/mysql.ts'
import * as pg from '../helpers/postgres.ts'

const ALL_ENGINES = [
  {
    engine: 'postgres',
    helpers: pg,
    url: pg.pgUrl,
    prefix: pg.uniquePrefix('recover'),
    seed: async (db: string) => pg.sql(db, 'CREATE TABLE item (id int PRIMARY KEY, label text); INSERT INTO item SELECT i, md5(i::text) FROM generate_series(1, 300) i'),
    /** What a step runs through the engine's client, with the staging connection from the environment. */
    client: 'psql -X -q -v ON_ERROR_STOP=1 -c',
    /** A SQL step that fails after its first change is applied (psql runs each file in one transaction). */
    halfApplied: { '01-add.sql': 'ALTER TABLE item ADD COLUMN diff int;\n', '02-fill.sql': 'UPDATE no_such_table SET x = 1;\n' },
    duplicate: /column "diff" of relation "item" already exists/,
  },
  {
    engine: 'mysql',
    helpers: my,
    url: my.myUrl,
    prefix: my.uniquePrefix('recover'),
    seed: async (db: string) => {
      await my.sql(db, 'CREATE TABLE item (id INT PRIMARY KEY, label TEXT)')
      await my.sql(db, 'INSERT INTO item SELECT seq, MD5(seq) FROM seq_1_to_300')
    },
    client: 'mariadb --protocol=TCP --user="$MYSQL_USER" --database="$MYSQL_DATABASE" -e',
    // One file: MySQL commits the ALTER before the UPDATE fails.
    halfApplied: { '01-add.sql': 'ALTER TABLE item ADD COLUMN diff INT;\nUPDATE no_such_table SET x = 1;\n' },
    duplicate: /Duplicate column name 'diff'/,
  },
] as const
const engines = chosenEngines(ALL_ENGINES, (e) => e.engine)

afterAll(async () => {
  for (const e of engines) await e.helpers.dropDatabasesWithPrefix(e.prefix)
  removeTempDirs()
})

describe.each(engines)('$engine: migration inputs and recovery', (e) => {
  async function source(tag: string): Promise<string> {
    const db = `${e.prefix}_${tag}`
    await e.helpers.createDatabase(db)
    await e.seed(db)
    return db
  }

  const labels = (db: string) => e.helpers.sql(db, 'SELECT id, label FROM item ORDER BY id')

  /** Production after the migration: every row has diff = id, ids and labels as before. */
  async function expectMigrated(db: string, before: Awaited<ReturnType<typeof labels>>): Promise<void> {
    const rows = await e.helpers.sql(db, 'SELECT COUNT(*) AS n, SUM(diff - id) AS off, SUM(CASE WHEN diff IS NULL THEN 1 ELSE 0 END) AS nulls FROM item')
    expect(rows.map((r) => [String(r.n), String(r.off), String(r.nulls)])).toEqual([['300', '0', '0']])
    expect(await labels(db)).toEqual(before)
  }

  it('a missing SQL file and a missing program are refused by --plan and before the snapshot', async () => {
    const db = await source('pre')
    const dir = tempDir(`pre-${e.engine}`)
    writeFile(dir, 'ok.sql', 'SELECT 1;\n')
    mkdirSync(join(dir, 'sub'))
    writeFileSync(join(dir, 'sub', 'run.sh'), 'true\n', { mode: 0o755 })
    const migrate = [
      { sql: 'ok.sql' },
      { sql: 'migrations/*.sql' },
      { command: 'DJANGO_SETTINGS=x dd-no-such-program migrate' },
      { command: 'FOO=1 cd . && ./not-here.sh' },
      { command: 'cd sub && ./run.sh | sh -c "$X" && true' },
    ]
    const config = configIn(dir, { source: e.url(db), staging: e.url(`${db}_stg`), migrate })
    const plan = await planUpgrade(config, 2)
    expect(plan.checksStatus).toBe('fail')
    for (const [step, code] of [[2, 'DD_PREFLIGHT_STEP_FILES'], [3, 'DD_PREFLIGHT_STEP_COMMAND'], [4, 'DD_PREFLIGHT_STEP_COMMAND']] as const) {
      expect(plan.checks).toMatch(new RegExp(`✗ migration step ${step} \\(.*\\n.*\\[${code}\\]`))
    }
    expect(plan.checks).toMatch(/✓ migration step 1 \(ok\.sql\) can run: 1 SQL file\(s\): ok\.sql/)
    expect(plan.checks).toContain(`✓ migration step 5 (cd sub && ./run.sh | sh -c "$X" && true) can run: in ${dir}: ./run.sh → ${join(dir, 'sub', 'run.sh')}, sh → `)
    expect(plan.checks).toContain('program "dd-no-such-program" not found on PATH')

    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_PREFLIGHT_STEP_FILES')
    expect(error.message).toBe(`step 2 (migrations/*.sql): no SQL file matches ${join(dir, 'migrations/*.sql')}`)
    expect(error.ctx.hint).toMatch(/^fix migrate\[1\]\.sql in the config .*\(2 more pre-flight problem\(s\): --plan lists them all\)$/)
    expect(existsSync(config.runDir), 'no run was started').toBe(false)

    // The CLI: --plan says FAILURES and exits 1.
    const file = writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ source: e.url(db), staging: e.url(`${db}_stg`), runDir: 'runs', migrate: [{ command: 'dd-no-such-program' }] })}`)
    const cli = await runCli(['--plan', '--config', file])
    expect(cli.code, cli.stderr).toBe(1)
    expect(cli.stdout).toContain('FAILURES: the run would stop')
    expect(cli.stdout).toContain('[DD_PREFLIGHT_STEP_COMMAND]')
  })

  it('a SQL step that fails half-way: the hint names --from migrate, which rebuilds staging from the dump files and completes', async () => {
    const db = await source('half')
    const before = await labels(db)
    const dir = tempDir(`half-${e.engine}`)
    for (const [name, text] of Object.entries(e.halfApplied)) writeFile(dir, name, text)
    const config = configIn(dir, { source: e.url(db), staging: e.url(`${db}_stg`), migrate: [{ sql: '*.sql' }] })
    const failed = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    const runDir = onlyRun(config)
    expect(failed.ctx.hint).toContain(`fix step 1, then rerun the migration on staging as it was before it: --resume ${runDir} --from migrate`)
    expect(failed.ctx.hint).toContain('a plain --resume')
    expect(failed.ctx.hint).not.toContain('start a new run')

    // What the hint warns of: a plain resume runs the step again on a half-migrated staging.
    const fixed = 'UPDATE item SET diff = id;\n'
    if (e.engine === 'postgres') writeFile(dir, '02-fill.sql', fixed)
    else writeFile(dir, '01-add.sql', `ALTER TABLE item ADD COLUMN diff INT;\n${fixed}`)
    const plain = await expectDrydockError(resumeUpgrade(runDir, config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    expect(plain.message).toMatch(e.duplicate)

    const again = await resumeUpgrade(runDir, config, { ...RUN_OPTIONS, from: 'migrate' })
    expect(again.report.verdict).toBe('verified')
    expect(readManifest(runDir).checkpoint).toBeUndefined()
    expect(await readFile(join(runDir, 'logs', 'events.jsonl'), 'utf8')).toContain('staging restored from the dump files (no checkpoint kept)')
    await expectMigrated(db, before)
  })

  it('--from migrate without the dump files refuses, and says what to do instead', async () => {
    const db = await source('nodump')
    const dir = tempDir(`nodump-${e.engine}`)
    const config = configIn(dir, { source: e.url(db), staging: e.url(`${db}_stg`), migrate: [{ command: 'exit 1' }] })
    await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    const runDir = onlyRun(config)
    execFileSync('rm', ['-rf', join(runDir, 'dump')])
    const error = await expectDrydockError(resumeUpgrade(runDir, config, { ...RUN_OPTIONS, from: 'migrate' }), 'DD_CHECKPOINT_MISSING')
    expect(error.message).toMatch(/dump file\(s\) missing/)
    expect(error.ctx.hint).toMatch(/^--cleanup this run and start a new one/)
    expect(error.ctx.hint).not.toContain('continue with --resume')
  })

  it('kill -9 during a migration step: --resume restores staging first, says so, and completes with the data equal', async () => {
    const db = await source('kill')
    const before = await labels(db)
    const dir = tempDir(`kill-${e.engine}`)
    const reached = join(dir, 'reached.fifo')
    const release = join(dir, 'release.fifo')
    execFileSync('mkfifo', [reached, release])
    writeFileSync(join(dir, 'armed'), '')
    // Armed (first attempt): half the migration, then wait for the test; unarmed: all of it.
    writeFile(dir, 'step.sh', [
      'set -e',
      'if [ -e armed ]; then',
      '  rm armed',
      `  ${e.client} "ALTER TABLE item ADD COLUMN diff int"`,
      '  echo reached > reached.fifo',
      '  cat release.fifo > /dev/null',
      '  exit 1',
      'fi',
      `${e.client} "ALTER TABLE item ADD COLUMN diff int"`,
      `${e.client} "UPDATE item SET diff = id"`,
    ].join('\n'))
    const configFile = writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({
      source: e.url(db), staging: e.url(`${db}_stg`), runDir: 'runs', jobs: 1, migrate: [{ command: 'sh step.sh' }],
    })}`)
    const run = startCli(['--config', configFile, '--yes'])
    expect(await readFile(reached, 'utf8')).toBe('reached\n')
    run.child.kill('SIGKILL')
    await run.exit
    const runDir = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]!)
    expect(readManifest(runDir).steps).toMatchObject([{ index: 1, status: 'running' }])
    await writeFileAsync(release, 'go\n') // lets the orphaned step end (it changes nothing more)

    const resumed = await runCli(['--resume', runDir, '--yes'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/verdict: VERIFIED/)
    expect(resumed.stderr).toContain('step 1 (sh step.sh) was under way when the run stopped: staging may be half-migrated, so it is restored to its state before the migration first')
    await expectMigrated(db, before)
  })
})

function startCli(args: string[]): { child: ChildProcess; exit: Promise<void> } {
  const child = spawn(join(REPO, 'node_modules', '.bin', 'zx'), [join(REPO, 'scripts', 'offline-upgrade.mjs'), ...args], { stdio: 'ignore' })
  return { child, exit: new Promise((done) => child.on('close', () => done())) }
}
