/**
 * Pre-flight on both engines: a healthy setup passes every check and writes nothing; an
 * account without the privileges a stage needs, a wrong password, an unreachable server, a
 * tables.include that names nothing, a full disk, taken names and a non-empty staging database
 * each fail with their code and a message that says what to do, never showing a password.
 */
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { shadowName } from '../../pipeline/stages/loadback/shadow-names.ts'
import { diskCheck, preflight, preflightStatus, preflightText } from '../../pipeline/safety/preflight/preflight.ts'
import { configIn, expectDrydockError, removeTempDirs, tempDir } from '../helpers/drydock.ts'
import * as my from '../helpers/mysql.ts'
import * as pgh from '../helpers/postgres.ts'

afterAll(() => removeTempDirs())

describe('diskCheck', () => {
  it('fails below the need (for a new run), warns within 20 %, passes above', () => {
    expect(diskCheck('/runs', 2000, 1000, 'dump and migrated files 2.0 kB', true)).toEqual({
      id: 'disk.run-dir', title: 'free disk in the run directory', status: 'fail',
      detail: '1.0 kB free at /runs; the run writes about 2.0 kB there (dump and migrated files 2.0 kB)',
      code: 'DD_PREFLIGHT_DISK', hint: 'free space there, or set runDir in the config to a folder on a larger disk',
    })
    expect(diskCheck('/runs', 2000, 1000, 'x', false).status).toBe('warn')
    expect(diskCheck('/runs', 2000, 2100, 'x', true).status).toBe('warn')
    expect(diskCheck('/runs', 2000, 5000, 'x', true).status).toBe('ok')
  })
})

describe('PostgreSQL pre-flight', () => {
  const prefix = pgh.uniquePrefix('flt')
  const db = `${prefix}_live`
  const role = `${prefix}_ro`
  const nologin = `${prefix}_nologin`
  const dir = tempDir('flt-pre-pg')
  const config = (raw: Record<string, unknown> = {}) => configIn(dir, { source: pgh.pgUrl(db), staging: pgh.pgUrl(`${prefix}_stg`), ...raw })

  beforeAll(async () => {
    await pgh.createDatabase(db)
    await pgh.sql(db, "CREATE TABLE accounts (id int PRIMARY KEY, email text); CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO accounts VALUES (1, 'a@b')")
    await pgh.sql('postgres', `CREATE ROLE ${pgh.ident(role)} LOGIN PASSWORD 'pw-${prefix}'; CREATE ROLE ${pgh.ident(nologin)} NOLOGIN PASSWORD 'secret-${prefix}'`)
  })
  afterAll(async () => {
    await pgh.dropDatabasesWithPrefix(prefix)
    await pgh.sql('postgres', `DROP ROLE IF EXISTS ${pgh.ident(role)}; DROP ROLE IF EXISTS ${pgh.ident(nologin)}`)
  })

  it('a healthy setup: every check passes, and nothing is written anywhere', async () => {
    const c = config()
    const result = await preflight(c, postgresDriver, { newRun: { runId: '20300101-000000' }, jobs: 2 })
    expect(result.checks.filter((x) => x.status === 'fail')).toEqual([])
    expect(result.checks.map((x) => x.id)).toEqual([
      'source.connect', 'source.tools', 'source.content', 'source.tables', 'source.silent-statement', 'staging.connect', 'disk.run-dir',
      'source.privileges.read', 'source.snapshot', 'source.privileges.createdb', 'source.privileges.owner',
      'source.track-counts', 'source.connections', 'staging.privileges.createdb', 'source.names',
    ])
    expect(result.checks.find((x) => x.id === 'source.tables')!.detail).toMatch(/^2 of 2 table\(s\) carried, /)
    expect(result.source.major).toBe(15)
    expect(result.estimate).toMatchObject({ tables: 2, carriedTables: 2 })
    expect(await pgh.databasesWithPrefix(prefix)).toEqual([db])
    expect(existsSync(c.runDir)).toBe(false)
    expect(preflightText(result).split('\n')[0]).toMatch(/^✓ production answers: PostgreSQL 15\.\d+.* at postgres:\/\/postgres@127\.0\.0\.1:5432\//)
  })

  it('an account that may not read the tables, create the shadow or rename the live database: DD_PREFLIGHT_PRIVILEGE with the GRANTs', async () => {
    const c = config({ source: pgh.pgUrl(db, `${role}:pw-${prefix}`) })
    const all = await preflight(c, postgresDriver, { throwOnFail: false })
    expect(preflightStatus(all)).toBe('fail')
    const failed = all.checks.filter((x) => x.status === 'fail')
    expect(failed.map((x) => x.id)).toEqual(['source.privileges.read', 'source.privileges.createdb', 'source.privileges.owner'])
    expect(failed[0]).toMatchObject({
      detail: `user "${role}" may not read 2 table(s) or sequence(s) of ${db}: public.accounts, public.orders`,
      hint: `grant them for the upgrade: GRANT USAGE ON SCHEMA "public" TO "${role}"; GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "${role}"; GRANT SELECT ON ALL SEQUENCES IN SCHEMA "public" TO "${role}"; (or GRANT pg_read_all_data TO "${role}")`,
    })
    expect(failed[1]!.hint).toBe(`grant it for the upgrade: ALTER ROLE "${role}" CREATEDB`)
    expect(failed[2]!.detail).toBe(`user "${role}" does not own database "${db}" (its owner is "postgres"), and the swap renames it`)
    const error = await expectDrydockError(preflight(c, postgresDriver), 'DD_PREFLIGHT_PRIVILEGE')
    expect(error.message).toBe(failed[0]!.detail)
    expect(error.ctx.hint).toBe(`${failed[0]!.hint} (2 more pre-flight problem(s): --plan lists them all)`)
    expect(preflightText(all)).not.toContain(`pw-${prefix}`)
  })

  it('a refused login names host and user, never the password (trust auth accepts any password here, so a NOLOGIN role stands in)', async () => {
    const error = await expectDrydockError(preflight(config({ source: pgh.pgUrl(db, `${nologin}:secret-${prefix}`) }), postgresDriver), 'DD_AUTH_FAILED')
    expect(error.message).toBe(`PostgreSQL at ${pgh.PG_HOST}:${pgh.PG_PORT} refused user "${nologin}": role "${nologin}" is not permitted to log in`)
    expect(error.ctx.hint).toBe('check the user and password (in the URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf')
    expect(`${error.message}${error.ctx.hint}`).not.toContain(`secret-${prefix}`)
  })

  it('an unreachable server: DD_UNREACHABLE, and --plan shows it as the one failed check', async () => {
    const result = await preflight(config({ source: 'postgres://postgres@127.0.0.1:1/shop' }), postgresDriver, { throwOnFail: false })
    expect(result.checks).toEqual([{
      id: 'source.connect', title: 'production answers', status: 'fail', code: 'DD_UNREACHABLE',
      detail: 'cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED)',
      hint: 'check that the server is running and that host and port in postgres://postgres@127.0.0.1:1/shop are right',
    }])
    expect(preflightText(result)).toBe('✗ production answers: cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED)\n    → check that the server is running and that host and port in postgres://postgres@127.0.0.1:1/shop are right [DD_UNREACHABLE]')
  })

  it('a tables.include that names no table: DD_TABLE_NOT_FOUND before anything runs', async () => {
    const error = await expectDrydockError(preflight(config({ tables: { include: ['accounts', 'nope_*', 'public.missing'] } }), postgresDriver), 'DD_TABLE_NOT_FOUND')
    expect(error.message).toBe('tables.include names no existing table: nope_*, public.missing')
    expect(error.ctx).toEqual({ stage: 'preflight', hint: 'fix tables.include in the config (patterns are schema.table or table, * matches anything)' })
  })

  it('a full disk, a taken shadow name and a staging database with tables fail a new run', async () => {
    const runId = '20300101-000001'
    await pgh.createDatabase(shadowName(db, runId))
    await pgh.createDatabase(`${prefix}_stg`)
    await pgh.sql(`${prefix}_stg`, 'CREATE TABLE leftover (id int)')
    const result = await preflight(config(), postgresDriver, { newRun: { runId }, throwOnFail: false, freeBytes: () => 1000 })
    const failed = result.checks.filter((x) => x.status === 'fail')
    expect(failed.map((x) => [x.id, x.code])).toEqual([
      ['staging.empty', 'DD_STAGING_NOT_EMPTY'], ['disk.run-dir', 'DD_PREFLIGHT_DISK'], ['source.names', 'DD_PREFLIGHT_NAME_TAKEN'],
    ])
    expect(failed[2]!.detail).toBe(`database(s) ${shadowName(db, runId)} already exist on ${pgh.PG_HOST}:${pgh.PG_PORT}`)
    expect(failed[1]!.detail).toMatch(new RegExp(`^1\\.0 kB free at ${dir}/runs; the run writes about .* there \\(dump and migrated files .*\\)$`))
    // Resuming: those belong to the run, and the disk already holds part of it.
    const resumed = await preflight(config(), postgresDriver, { freeBytes: () => 1000 })
    expect(resumed.checks.filter((x) => x.status === 'fail')).toEqual([])
    expect(resumed.checks.find((x) => x.id === 'disk.run-dir')!.status).toBe('warn')
  })
})

describe('MySQL pre-flight', () => {
  const prefix = my.uniquePrefix('flt')
  const db = `${prefix}_live`
  const user = `${prefix}_ro`
  const dir = tempDir('flt-pre-my')
  const config = (raw: Record<string, unknown> = {}) => configIn(dir, { source: my.myUrl(db), staging: my.myUrl(`${prefix}_stg`), ...raw })

  beforeAll(async () => {
    await my.createDatabase(db)
    await my.sql(db, "CREATE TABLE accounts (id int PRIMARY KEY, email text); INSERT INTO accounts VALUES (1, 'a@b')")
    await my.sql(null, `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'right-${prefix}'; GRANT SELECT ON \`${db}\`.* TO '${user}'@'127.0.0.1'`)
  })
  afterAll(async () => {
    await my.sql(null, `DROP USER IF EXISTS '${user}'@'127.0.0.1'`)
    await my.dropDatabasesWithPrefix(prefix)
  })

  it('a healthy setup: every check passes, and nothing is written anywhere', async () => {
    const c = config()
    const result = await preflight(c, mysqlDriver, { newRun: { runId: '20300101-000000' }, jobs: 2 })
    expect(result.checks.filter((x) => x.status !== 'ok')).toEqual([])
    expect(result.checks.map((x) => x.id)).toEqual([
      'source.connect', 'source.tools', 'source.tables', 'source.silent-statement', 'staging.connect', 'disk.run-dir', 'source.privileges.read',
      'source.privileges.reload', 'source.privileges.process', 'source.privileges.shadow', 'source.privileges.swap',
      'source.local-infile', 'source.versioned', 'source.transactional', 'source.connections', 'source.names',
    ])
    expect(await my.databasesWithPrefix(prefix)).toEqual([db])
    expect(existsSync(c.runDir)).toBe(false)
  })

  it('a wrong password: DD_AUTH_FAILED naming host and user, never the password', async () => {
    const error = await expectDrydockError(preflight(config({ source: my.myUrl(db, `${user}:wrong-${prefix}`) }), mysqlDriver), 'DD_AUTH_FAILED')
    expect(error.message).toBe(`MySQL at ${my.MY_HOST}:${my.MY_PORT} refused user "${user}" (ER_ACCESS_DENIED_ERROR)`)
    expect(error.ctx.hint).toBe("check the user and password (in the URL or MYSQL_PWD) and the account's allowed hosts and grants")
    expect(`${error.message}${error.ctx.hint}`).not.toContain(`wrong-${prefix}`)
  })

  it('an account with SELECT only: RELOAD, the shadow and the swap privileges fail, PROCESS warns, each with its GRANT', async () => {
    const c = config({ source: my.myUrl(db, `${user}:right-${prefix}`) })
    const all = await preflight(c, mysqlDriver, { throwOnFail: false })
    const problems = all.checks.filter((x) => x.status !== 'ok').map((x) => [x.id, x.status])
    expect(problems).toEqual([
      ['source.privileges.reload', 'fail'], ['source.privileges.process', 'warn'], ['source.privileges.shadow', 'fail'], ['source.privileges.swap', 'fail'],
    ])
    const account = `'${user}'@'127.0.0.1'`
    const reload = all.checks.find((x) => x.id === 'source.privileges.reload')!
    expect(reload.detail).toBe(`${user}@127.0.0.1 lacks RELOAD: the consistent snapshot holds FLUSH TABLES WITH READ LOCK for a few milliseconds`)
    expect(reload.hint).toBe(`grant them for the upgrade: GRANT RELOAD ON *.* TO ${account}`)
    const escaped = db.replace(/_/g, '\\_')
    expect(all.checks.find((x) => x.id === 'source.privileges.shadow')!.hint).toBe(
      `grant them for the upgrade: GRANT CREATE, DROP, ALTER, SELECT, INSERT, DELETE, INDEX, REFERENCES, CREATE VIEW, SHOW VIEW, TRIGGER, CREATE ROUTINE, ALTER ROUTINE ON \`${escaped}\\_dd\\_%\`.* TO ${account}`)
    const error = await expectDrydockError(preflight(c, mysqlDriver), 'DD_PREFLIGHT_PRIVILEGE')
    expect(error.message).toBe(reload.detail)
    expect(error.ctx.hint).toBe(`${reload.hint} (2 more pre-flight problem(s): --plan lists them all)`)
  })

  it('an unreachable server and a tables.include that names no table', async () => {
    const unreachable = await expectDrydockError(preflight(config({ source: 'mysql://root@127.0.0.1:1/shop' }), mysqlDriver), 'DD_UNREACHABLE')
    expect(unreachable.message).toBe('cannot reach MySQL at 127.0.0.1:1 (ECONNREFUSED)')
    const include = await expectDrydockError(preflight(config({ tables: { include: ['acc*', 'nope'] } }), mysqlDriver), 'DD_TABLE_NOT_FOUND')
    expect(include.message).toBe('tables.include names no existing table: nope')
  })
})
