/**
 * A password given in the source and staging URLs never reaches the run directory or the
 * terminal: whole CLI runs (one verified, one failing in a step that prints its connection),
 * then --rollback and --cleanup, with every file of the run directories searched.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliResult, readManifest, readReport, removeTempDirs, runCli, tempDir, walkFiles, writeFile } from '../helpers/drydock.ts'
import { createAppDatabase } from '../helpers/fixture.ts'
import { databaseExists, dropDatabasesWithPrefix, PG_HOST, PG_PORT, sql, uniquePrefix } from '../helpers/postgres.ts'

const SECRET = 's3cr3t-pw-xyz'
const ROLE = 'dd_t_secret'
const prefix = uniquePrefix('secret')
const source = `${prefix}_src`
const url = (database: string) => `postgres://${ROLE}:${SECRET}@${PG_HOST}:${PG_PORT}/${database}`

/** Files (relative paths) under `dir` whose name or content contains the secret. */
function filesWithSecret(dir: string): string[] {
  return walkFiles(dir).filter((file) => file.includes(SECRET) || readFileSync(file).includes(SECRET)).map((f) => relative(dir, f))
}

function expectNoSecret(result: CliResult): void {
  expect(result.stdout).not.toContain(SECRET)
  expect(result.stderr).not.toContain(SECRET)
}

/** A config file whose steps print the staging connection every way drydock hands it over. */
function writeConfig(dir: string, staging: string, failing: boolean): string {
  writeFile(dir, 'add.sql', 'ALTER TABLE accounts ADD COLUMN nickname text;\nCREATE TABLE secret_check (id int PRIMARY KEY);\n')
  const steps = [
    { sql: 'add.sql' },
    {
      name: 'show the connection',
      command: 'echo "url=$DATABASE_URL pw=$PGPASSWORD app=$APP_DB apppw=$APP_PW"; echo "stderr: $DATABASE_URL" >&2',
      env: { APP_DB: '{url}', APP_PW: '{password}' },
    },
    ...(failing ? [{ command: 'echo "could not migrate $DATABASE_URL (password $PGPASSWORD)" >&2; exit 4' }] : []),
  ]
  return writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({
    source: url(source), staging: url(staging), runDir: 'runs', migrate: steps,
  }, null, 2)}\n`)
}

describe('secrets stay out of files and output', () => {
  beforeAll(async () => {
    // The server trusts 127.0.0.1, so any password logs in; the role only has to exist. Another
    // process running this file at the same time may have created it already.
    await sql('postgres', `DO $$ BEGIN
      CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${SECRET}';
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      ALTER ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${SECRET}';
    END $$`)
    await createAppDatabase(source)
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
    // Objects of a parallel run of this file may still depend on the role: then that run drops it.
    await sql('postgres', `DO $$ BEGIN
      DROP ROLE IF EXISTS ${ROLE};
    EXCEPTION WHEN dependent_objects_still_exist THEN NULL;
    END $$`)
  })

  it('a verified CLI run, then --rollback and --cleanup: the password is in no file and no output', async () => {
    const dir = tempDir('secret-ok')
    const config = writeConfig(dir, `${prefix}_stg_ok`, false)
    const run = await runCli(['--config', config, '--yes', '--jobs', '2'])
    expect(run.code, run.stderr).toBe(0)
    expectNoSecret(run)
    expect(run.stdout).toMatch(/verdict: VERIFIED/)
    const runs = join(dir, 'runs')
    expect(readdirSync(runs)).toHaveLength(1)
    const runDir = join(runs, readdirSync(runs)[0]!)
    expect(readReport(runDir).verdict).toBe('verified')

    // The steps did see the password (so there was something to leak) and their logs are redacted.
    const stepLog = readFileSync(join(runDir, 'steps', '02-command.log'), 'utf8')
    expect(stepLog).toContain(`url=postgresql://${ROLE}:***@${PG_HOST}:${PG_PORT}/${prefix}_stg_ok pw=*** app=postgres://${ROLE}:***@`)
    expect(stepLog).toContain('apppw=***')
    expect(filesWithSecret(runDir)).toEqual([])

    const rollback = await runCli(['--config', config, '--rollback', runDir])
    expect(rollback.code, rollback.stderr).toBe(0)
    expect(rollback.stdout).toMatch(new RegExp(`^rolled back: "${source}" on postgres://\\w+@127\\.0\\.0\\.1:5432/${source} is the pre-upgrade database again; the upgraded one is kept as "${readManifest(runDir).swap!.backup}"\n$`))
    expectNoSecret(rollback)

    const rejected = readManifest(runDir).swap!.backup
    const cleanup = await runCli(['--config', config, '--cleanup', runDir])
    expect(cleanup.code, cleanup.stderr).toBe(0)
    expect(cleanup.stdout).toMatch(new RegExp(`^cleaned up: dropped the rejected upgrade "${rejected}" on postgres://\\w+@127\\.0\\.0\\.1:5432/${rejected}\nthe run directory still holds `))
    expect(await databaseExists(rejected)).toBe(false)
    expectNoSecret(cleanup)
    // The config file holds the password, of course; the run directory must not.
    expect(filesWithSecret(runs)).toEqual([])
    expect(await databaseExists(source)).toBe(true)
  })

  it('a CLI run whose step fails printing its connection: the password is in no file and no output', async () => {
    const dir = tempDir('secret-fail')
    const config = writeConfig(dir, `${prefix}_stg_fail`, true)
    const run = await runCli(['--config', config, '--yes'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`could not migrate postgresql://${ROLE}:***@${PG_HOST}:${PG_PORT}/${prefix}_stg_fail (password ***)`)
    expect(run.stderr).toContain('[DD_MIGRATION_FAILED]')
    expectNoSecret(run)
    expect(readdirSync(join(dir, 'runs'))).toHaveLength(1)
    expect(filesWithSecret(join(dir, 'runs'))).toEqual([])
  })
})
