/**
 * Bad configs, unreachable servers and missing databases stop drydock before anything is
 * written, with the documented codes and messages; the command line maps them to exit codes.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../pipeline/config/config.ts'
import { HELP } from '../../pipeline/cli.ts'
import { DrydockError } from '../../pipeline/errors.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, removeTempDirs, RUN_OPTIONS, runCli, tempDir, writeFile } from '../helpers/drydock.ts'
import { dropDatabasesWithPrefix, PG_HOST, PG_PORT, pgUrl, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('config')
const HERE = tempDir('parse')
const FILE = join(HERE, 'upgrade.config.mjs')
const KEYS = 'source, staging, target, rehearsalTarget, schemas, tables, runDir, migrate, jobs, partMB, direct, keepLive, refreshMaterializedViews, compress, hooks, expect, throttle, replicas, idleLimitSeconds'

/** parseConfig's error, checked to be DD_CONFIG_INVALID from the config stage. */
function configError(raw: unknown, file = FILE): DrydockError {
  let caught: unknown
  try {
    parseConfig(raw, file)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(DrydockError)
  const error = caught as DrydockError
  expect(error.code).toBe('DD_CONFIG_INVALID')
  expect(error.ctx.stage).toBe('config')
  return error
}

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('parseConfig', () => {
  it('accepts a minimal config and fills the defaults', () => {
    const config = parseConfig({ source: 'postgres://app@db.internal/shop' }, FILE)
    expect(config.source).toMatchObject({ engine: 'postgres', host: 'db.internal', port: 5432, user: 'app', database: 'shop' })
    expect(config.staging).toBe('ephemeral')
    expect(config.target).toBe('in-place')
    expect(config.rehearsalTarget).toBe('staging')
    expect(config.runDir).toBe(join(HERE, 'drydock-runs'))
    expect(config.steps).toEqual([])
  })

  it('an unknown key: "Unknown option sourse"', () => {
    const error = configError({ source: 'postgres://app@db/shop', sourse: 'postgres://app@db/shop' })
    expect(error.message).toBe(`Errors in config ${FILE}:\n- Unknown option sourse: expected one of ${KEYS}`)
  })

  it('a missing source: "Missing option source"', () => {
    const error = configError({ staging: 'ephemeral' })
    expect(error.message).toBe(`Errors in config ${FILE}:\n- Missing option source: expected a database URL`)
  })

  it('a malformed URL: "Invalid option source: expected a database URL"', () => {
    const error = configError({ source: 'db.internal:5432/shop' })
    expect(error.message).toBe(`Errors in config ${FILE}:\n- Invalid option source: expected a database URL like postgres://user[:password]@host[:port]/database or mysql://user[:password]@host[:port]/database, got "db.internal:5432/shop"`)
  })

  it('lists every problem at once, one line each', () => {
    const error = configError({ sourse: 'postgres://app@db/shop', staging: 42, jobs: 0, migrate: [{ sql: 'x.sql', comand: 'y' }, { run: 'z' }] })
    expect(error.message).toBe([
      `Errors in config ${FILE}:`,
      `- Unknown option sourse: expected one of ${KEYS}`,
      '- Missing option source: expected a database URL',
      '- Invalid option staging: expected a database URL or "ephemeral", got 42',
      '- Invalid option jobs: expected a whole number from 1 to 64, got 0',
      '- Unknown option migrate[0].comand: a sql step takes name, sql',
      '- Invalid option migrate[1]: expected { sql: "file-or-glob" }, { command: "..." } or { transform: "file.ts" }, got keys run',
    ].join('\n'))
    expect(error.describe()).toBe(`config: ${error.message}\n  → fix the config file (see docs/config.md)`)
  })

  it('does not echo the password of a malformed URL (shown as ***)', () => {
    const cases = [
      'postgres://app:hunter2-secret@/shop', // no host
      'postgres://app:hunter2-secret@db.internal', // no database
      'postgres://app:hunter2-secret@db.internal:99999/shop', // port out of range
      'postgress://app:hunter2-secret@db.internal/shop', // unknown scheme
    ]
    for (const url of cases) {
      const error = configError({ source: url, staging: url, target: url })
      expect(error.message, url).not.toContain('hunter2')
      expect(error.message, url).toContain('app:***@')
      expect(error.message.split('\n')).toHaveLength(4)
    }
  })

  it('does not echo the password of a malformed URL whose password has a "/" in it', () => {
    // An unencoded "/" in the password is exactly what makes such a URL fail to parse.
    const error = configError({ source: 'postgres://app:hunter2/secret@db.internal/shop' })
    expect(error.message).not.toContain('hunter2')
    expect(error.message).not.toContain('secret@')
    expect(error.message).toContain('app:***@')
  })

  it('refuses staging that is the source itself', () => {
    const error = configError({ source: 'postgres://app@localhost/shop', staging: 'postgres://other@127.0.0.1:5432/shop' })
    expect(error.message).toContain('- Invalid option staging: staging is the source database itself; name another database or use "ephemeral"')
  })

  it('refuses a rehearsalTarget that is the source itself, of another engine, or not a URL', () => {
    expect(configError({ source: 'postgres://app@localhost/shop', rehearsalTarget: 'postgres://other@127.0.0.1:5432/shop' }).message)
      .toContain('- Invalid option rehearsalTarget: rehearsalTarget is the source database itself; name another database, or "staging"')
    expect(configError({ source: 'postgres://app@localhost/shop', rehearsalTarget: 'mysql://root@127.0.0.1/shop' }).message)
      .toContain('- Invalid option rehearsalTarget: must be the same engine as source (postgres), got mysql')
    expect(configError({ source: 'postgres://app@localhost/shop', rehearsalTarget: 42 }).message)
      .toContain('- Invalid option rehearsalTarget: expected a database URL, "staging" or "production", got 42')
    expect(parseConfig({ source: 'postgres://app@localhost/shop', rehearsalTarget: 'production' }, FILE).rehearsalTarget).toBe('production')
  })
})

describe('servers and databases that are not there', () => {
  it('an unreachable production host: DD_UNREACHABLE, and nothing is written', async () => {
    const dir = tempDir('unreachable')
    const config = configIn(dir, { source: 'postgres://postgres@127.0.0.1:1/shop', staging: pgUrl(`${prefix}_stg`) })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_UNREACHABLE')
    expect(error.message).toBe('cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED)')
    expect(error.ctx.hint).toBe('check that the server is running and that host and port in postgres://postgres@127.0.0.1:1/shop are right')
    expect(existsSync(config.runDir)).toBe(false)
  })

  it('a database that does not exist: DD_DATABASE_MISSING, and nothing is written', async () => {
    const dir = tempDir('missing')
    const missing = `${prefix}_no_such_db`
    const config = configIn(dir, { source: pgUrl(missing), staging: pgUrl(`${prefix}_stg`) })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_DATABASE_MISSING')
    expect(error.message).toBe(`database "${missing}" does not exist on ${PG_HOST}:${PG_PORT}`)
    expect(existsSync(config.runDir)).toBe(false)
  })
})

describe('the command line (zx scripts/offline-upgrade.mjs)', () => {
  it('a bad config file: exit 1, every problem on stderr as docs/config.md shows, nothing on stdout', async () => {
    const dir = tempDir('cli-bad')
    const file = writeFile(dir, 'upgrade.config.mjs', `export default { sourse: '${pgUrl('shop')}' }\n`)
    const result = await runCli(['--config', file, '--yes'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe([
      '',
      `✗ config: Errors in config ${file}:`,
      `- Unknown option sourse: expected one of ${KEYS}`,
      '- Missing option source: expected a database URL',
      '  → fix the config file (see docs/config.md)',
      '  [DD_CONFIG_INVALID]',
      '',
    ].join('\n'))
    expect(existsSync(join(dir, 'drydock-runs'))).toBe(false)
  })

  it('a config with a malformed URL: the password is not on stderr', async () => {
    const dir = tempDir('cli-pw')
    const file = writeFile(dir, 'upgrade.config.mjs', "export default { source: 'postgres://app:hunter2-secret@/shop' }\n")
    const result = await runCli(['--config', file])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('Invalid option source: expected a database URL')
    expect(result.stderr).toContain('got "postgres://app:***@/shop"')
    expect(result.stderr + result.stdout).not.toContain('hunter2')
  })

  it('a config with a malformed URL: stderr shows the expected URL forms intact', async () => {
    const dir = tempDir('cli-forms')
    const file = writeFile(dir, 'upgrade.config.mjs', "export default { source: 'postgres://app:hunter2-secret@/shop' }\n")
    const result = await runCli(['--config', file])
    expect(result.code).toBe(1)
    // The line as parseConfig words it: redaction must not eat "[:password]" in the advice.
    expect(result.stderr).toContain('- Invalid option source: expected a database URL like postgres://user[:password]@host[:port]/database or mysql://user[:password]@host[:port]/database, got "postgres://app:***@/shop"; if the password holds any of @ : / ? # % or spaces, percent-encode them')
  })

  it('a missing config file: exit 1 with DD_CONFIG_MISSING', async () => {
    const dir = tempDir('cli-none')
    const result = await runCli(['--config', join(dir, 'nope.mjs')])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`✗ config: Config file ${join(dir, 'nope.mjs')} not found`)
    expect(result.stderr).toContain('[DD_CONFIG_MISSING]')
  })

  it('--help: exit 0, the usage on stdout', async () => {
    const result = await runCli(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`${HELP}\n`)
    expect(result.stderr).toBe('')
  })

  it('an unknown flag: exit 2', async () => {
    const result = await runCli(['--frobnicate'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^drydock: Unknown option '--frobnicate'/)
    expect(result.stderr).toContain('Run with --help for usage.\n')
  })

  it('wrong argument values: exit 2', async () => {
    const jobs = await runCli(['--jobs', '0'])
    expect(jobs.code).toBe(2)
    expect(jobs.stderr).toBe('drydock: Invalid option --jobs: expected a whole number from 1 to 64, got "0"\n')
    const both = await runCli(['--rollback', 'a', '--cleanup', 'b'])
    expect(both.code).toBe(2)
    expect(both.stderr).toBe('drydock: options --rollback and --cleanup are not compatible\n')
  })
})
