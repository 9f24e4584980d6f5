/**
 * PostgreSQL's choice of swap and its edges: the Patchwork upgrade through the schema swap equals
 * the same SQL run in place and --cleanup drops the old schema; a migration that changes a
 * database setting takes the shadow-database path and says why; kill -9 inside the swap's
 * transaction leaves production wholly old, right after its commit wholly new.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generatePatchwork } from '../../fixtures/patchwork/generate.ts'
import { patchworkSteps } from '../../fixtures/patchwork/upgrades.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { ManifestStore, runPaths } from '../../pipeline/run-state/run-dir.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { cleanupRun } from '../../pipeline/stages/swap/swap-stage.ts'
import { configIn, readManifest, REPO, removeTempDirs, runCli, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { runCliKilledAt } from '../helpers/kill-at.ts'
import { createDatabase, dropDatabasesWithPrefix, ident, pgUrl, sql, uniquePrefix } from '../helpers/postgres.ts'
import { appDigests, appSchemaDump, drydockSchemas, migrateInPlace, storageOf } from './pg-schema-swap-helpers.ts'

const prefix = uniquePrefix('pgsp')

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

const SEED = `
CREATE TABLE big (id int PRIMARY KEY, payload text);
CREATE TABLE item (id int PRIMARY KEY, big_id int REFERENCES big (id), v text);
CREATE VIEW v_big AS SELECT count(*) AS n FROM big;
INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g;
INSERT INTO item SELECT g, g * 7, 'v' || g FROM generate_series(1, 20) g;
`
const SMALL_CHANGE = 'UPDATE item SET v = upper(v); ALTER TABLE item ADD COLUMN flag int NOT NULL DEFAULT 1'

async function seeded(tag: string): Promise<string> {
  const db = `${prefix}_${tag}`
  await createDatabase(db)
  await sql(db, SEED)
  return db
}

describe('PostgreSQL: which swap, and why', () => {
  it('Patchwork through the schema swap equals the upgrade in place; --cleanup drops the old schema', async () => {
    const a = `${prefix}_pw_a`
    const b = `${prefix}_pw_b`
    await generatePatchwork({ engine: 'postgres', url: pgUrl(a), scale: 0.01, jobs: 2 })
    await sql('postgres', `CREATE DATABASE ${ident(b)} TEMPLATE ${ident(a)}`)
    const dir = tempDir('pgsp-pw')
    const config = configIn(dir, { source: pgUrl(a), staging: pgUrl(`${a}_stg`), migrate: patchworkSteps('postgres', 'sql') })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const manifest = readManifest(result.runDir)
    expect(manifest.swapPath?.kind, manifest.swapPath?.reason).toBe('schema')
    expect(manifest.keep!.tables.length).toBeGreaterThan(0)
    expect(Object.values(manifest.keep!.files!).every((f) => f.before === f.after)).toBe(true)

    const upgradeDir = join(REPO, 'fixtures', 'patchwork', 'postgres', 'upgrade')
    for (const file of readdirSync(upgradeDir).filter((f) => f.endsWith('.sql')).sort()) {
      await postgresDriver.runSqlFile(parseEndpoint(pgUrl(b), 'b'), join(upgradeDir, file), join(dir, 'in-place.log'))
    }
    expect(await appSchemaDump(a)).toBe(await appSchemaDump(b))
    expect(await appDigests(a)).toEqual(await appDigests(b))

    const backup = manifest.swap!.schemas!.map((m) => m.outgoing)
    expect(await drydockSchemas(a)).toEqual(backup)
    await cleanupRun(postgresDriver, parseEndpoint(pgUrl(a), 'source'), ManifestStore.load(runPaths(result.runDir).manifest))
    expect(await drydockSchemas(a)).toEqual([])
    expect(await appDigests(a)).toEqual(await appDigests(b))
  })

  it('a migration that changes a database setting takes the shadow database, and the report says why', async () => {
    const db = await seeded('dbpath')
    const dir = tempDir('pgsp-db')
    writeFile(dir, 'migrate.sql', `${SMALL_CHANGE};
      DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET work_mem = %L', current_database(), '8MB'); END $$;`)
    const config = configIn(dir, { source: pgUrl(db), staging: pgUrl(`${db}_stg`), migrate: [{ sql: 'migrate.sql' }] })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const manifest = readManifest(result.runDir)
    expect(manifest.swapPath).toEqual({ kind: 'database', reason: expect.stringMatching(/^the migration changed database settings \(ALTER DATABASE … SET\) \(\+work_mem=8MB\)/) })
    expect(manifest.keep!.tables).toEqual([])
    expect(manifest.keep!.copiedAnyway.find((c) => c.table === 'public.big')?.reason).toMatch(/^the whole database is swapped: the migration changed database settings/)
    expect(manifest.swap!.schemas).toBeUndefined()
    expect(await sql(db, 'SELECT v, flag::text FROM item WHERE id = 1')).toEqual([{ v: 'V1', flag: '1' }])
    expect(result.report.swapPath).toEqual(manifest.swapPath)
    expect(readFileSync(join(result.runDir, 'report.md'), 'utf8')).toContain('Swap: shadow database, swapped whole, because the migration changed database settings')
  })

  const cliRun = (db: string) => {
    const dir = tempDir('pgsp-kill')
    writeFile(dir, 'up.sql', SMALL_CHANGE)
    const configFile = writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ source: pgUrl(db), staging: pgUrl(`${db}_stg`), runDir: 'runs', migrate: [{ sql: 'up.sql' }] })}`)
    return { configFile, runDir: () => join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]!) }
  }

  it('kill -9 inside the swap transaction leaves production wholly old; --resume swaps', async () => {
    const db = await seeded('killtx')
    const before = { schema: await appSchemaDump(db), data: await appDigests(db), big: await storageOf(db, 'public.big') }
    const run = cliRun(db)
    await runCliKilledAt('swap-transaction', ['--config', run.configFile, '--yes'])
    const manifest = readManifest(run.runDir())
    expect(manifest.swap?.status).toBe('swapping')
    expect(await appSchemaDump(db)).toBe(before.schema)
    expect(await appDigests(db)).toEqual(before.data)
    expect(await drydockSchemas(db)).toEqual([manifest.target.schemas!.public])
    const resumed = await runCli(['--resume', run.runDir(), '--yes'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/verdict: VERIFIED/)
    const after = readManifest(run.runDir())
    expect(after.swap?.status).toBe('swapped')
    expect(await drydockSchemas(db)).toEqual([after.swap!.schemas![0]!.outgoing])
    expect(await storageOf(db, 'public.big')).toBe(before.big)
    expect(await sql(db, 'SELECT v, flag::text FROM item WHERE id = 1')).toEqual([{ v: 'V1', flag: '1' }])
    expect(await sql(db, 'SELECT n::text FROM v_big')).toEqual([{ n: '5000' }])
  })

  it('kill -9 right after the swap commits leaves production wholly new; --rollback settles it and restores the old', async () => {
    const db = await seeded('killrn')
    const inPlace = `${prefix}_killrn_inplace`
    await sql('postgres', `CREATE DATABASE ${ident(inPlace)} TEMPLATE ${ident(db)}`)
    await migrateInPlace(inPlace, SMALL_CHANGE)
    const before = { schema: await appSchemaDump(db), data: await appDigests(db), big: await storageOf(db, 'public.big') }
    const run = cliRun(db)
    await runCliKilledAt('swap-rename', ['--config', run.configFile, '--yes'])
    expect(readManifest(run.runDir()).swap?.status).toBe('swapping')
    expect(await appSchemaDump(db)).toBe(await appSchemaDump(inPlace))
    expect(await appDigests(db)).toEqual(await appDigests(inPlace))
    const rollback = await runCli(['--config', run.configFile, '--rollback', run.runDir()])
    expect(rollback.code, rollback.stderr).toBe(0)
    expect(readManifest(run.runDir()).swap?.status).toBe('rolled-back')
    expect(await appSchemaDump(db)).toBe(before.schema)
    expect(await appDigests(db)).toEqual(before.data)
    expect(await storageOf(db, 'public.big')).toBe(before.big)
    // The old item's key into the kept big came back with the rollback (it was parked in the backup).
    expect(await sql(db, "INSERT INTO item VALUES (999, 424242, 'x')").then(() => 'inserted', () => 'refused')).toBe('refused')
    expect(await sql(db, 'DELETE FROM big WHERE id = 7').then(() => 'deleted', () => 'refused')).toBe('refused')
  })

  it('kill -9 while staging carries the shadow names: --resume renames them back and swaps', async () => {
    const db = await seeded('killstg')
    const big = await storageOf(db, 'public.big')
    const run = cliRun(db)
    await runCliKilledAt('staging-renamed-pre-data', ['--config', run.configFile, '--yes'])
    const staging = `${db}_stg`
    expect((await drydockSchemas(staging)).length).toBe(1)
    const resumed = await runCli(['--resume', run.runDir(), '--yes'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/verdict: VERIFIED/)
    expect(readManifest(run.runDir()).swapPath?.kind).toBe('schema')
    expect(await storageOf(db, 'public.big')).toBe(big)
    expect(await sql(db, 'SELECT v, flag::text FROM item WHERE id = 1')).toEqual([{ v: 'V1', flag: '1' }])
  })
})
