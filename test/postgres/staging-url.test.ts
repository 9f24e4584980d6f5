import { existsSync } from 'node:fs'
/**
 * Staging on a database URL: drydock creates the database (it must not exist, or be empty),
 * drops it after the run unless keepStaging, and never uses or drops a database holding tables.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databaseExists, databasesWithPrefix, databaseState, dropDatabasesWithPrefix, PG_USER, pgUrl, sql, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('stgurl')

/** A small source of its own per test, so that no two swaps of one database share a run id. */
async function smallSource(name: string): Promise<string> {
  const source = `${prefix}_${name}`
  await createDatabase(source)
  await sql(source, `CREATE TABLE items (id serial PRIMARY KEY, label text);
    INSERT INTO items (label) SELECT 'item ' || i FROM generate_series(1, 20) i;`)
  return source
}

function configFor(source: string, staging: string, tag: string) {
  const dir = tempDir(tag)
  writeFile(dir, 'add.sql', 'CREATE TABLE added_by_migration (id int);\n')
  return configIn(dir, { source: pgUrl(source), staging: pgUrl(staging), migrate: [{ sql: 'add.sql' }] })
}

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('staging on a database URL', () => {
  it('creates the staging database and drops it after the run', async () => {
    const source = await smallSource('a')
    const staging = `${source}_stg`
    const result = await runUpgrade(configFor(source, staging, 'stg-a'), RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(await databaseExists(staging)).toBe(false)
    expect(readManifest(result.runDir).staging).toMatchObject({ kind: 'url', endpoint: pgUrl(staging, PG_USER) })
  })

  it('keeps the staging database, migrated, with keepStaging', async () => {
    const source = await smallSource('b')
    const staging = `${source}_stg`
    const result = await runUpgrade(configFor(source, staging, 'stg-b'), { ...RUN_OPTIONS, keepStaging: true })
    expect(result.report.verdict).toBe('verified')
    expect(await databaseExists(staging)).toBe(true)
    expect(await sql(staging, `SELECT to_regclass('public.added_by_migration')::text AS t, (SELECT count(*) FROM items) AS n`))
      .toEqual([{ t: 'added_by_migration', n: '20' }])
  })

  it('uses an empty staging database the operator created, and does not drop it', async () => {
    const source = await smallSource('c')
    const staging = `${source}_stg`
    await createDatabase(staging)
    const result = await runUpgrade(configFor(source, staging, 'stg-c'), RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(await databaseExists(staging)).toBe(true)
  })

  it('refuses a staging database that holds tables (DD_STAGING_NOT_EMPTY), and leaves it and production alone', async () => {
    const source = await smallSource('d')
    const staging = `${source}_stg`
    await createDatabase(staging)
    await sql(staging, `CREATE TABLE precious (id int); INSERT INTO precious VALUES (1);`)
    const before = await databaseState(source)
    const config = configFor(source, staging, 'stg-d')
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_STAGING_NOT_EMPTY')
    expect(error.message).toBe(`staging database ${pgUrl(staging, PG_USER)} already holds tables`)
    // Pre-flight catches it before the run begins: no run directory, nothing written anywhere.
    expect(error.ctx.stage).toBe('preflight')
    expect(await sql(staging, 'SELECT count(*) AS n FROM precious')).toEqual([{ n: '1' }])
    expect(await databaseState(source)).toEqual(before)
    expect(await databasesWithPrefix(`${source}_dd_`)).toEqual([])
    expect(existsSync(config.runDir)).toBe(false)
  })
})
