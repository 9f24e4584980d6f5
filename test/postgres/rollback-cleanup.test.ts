/**
 * After a swap: --rollback makes the pre-upgrade database live again exactly (the upgraded one
 * is kept as <db>_dd_rejected_<run>); --cleanup drops <db>_dd_backup_<run>. Runs that did not
 * swap are refused with DD_NOT_SWAPPED.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ParsedConfig } from '../../pipeline/config/config.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { ManifestStore } from '../../pipeline/run-state/run-dir.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { cleanupRun, rollbackRun } from '../../pipeline/stages/swap/swap-stage.ts'
import { configIn, expectDrydockError, onlyRun, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { POSTGRES } from '../helpers/engines.ts'
import { createAppDatabase } from '../helpers/fixture.ts'
import { databaseExists, databasesWithPrefix, databaseState, dropDatabasesWithPrefix, pgUrl, schemaDump, sql, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('swapback')

const UPGRADE = POSTGRES.upgradeSql

async function upgrade(database: string, staging: string, tag: string): Promise<{ config: ParsedConfig; runDir: string }> {
  const dir = tempDir(tag)
  writeFile(dir, 'upgrade.sql', UPGRADE)
  const config = configIn(dir, { source: pgUrl(database), staging: pgUrl(staging), migrate: [{ sql: 'upgrade.sql' }] })
  const result = await runUpgrade(config, RUN_OPTIONS)
  expect(result.report.verdict).toBe('verified')
  return { config, runDir: result.runDir }
}

const manifestOf = (runDir: string) => ManifestStore.load(join(runDir, 'manifest.json'))

describe('rollback and cleanup', () => {
  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  describe('rollback', () => {
    const live = `${prefix}_rb`
    let before: Awaited<ReturnType<typeof databaseState>>
    let run: { config: ParsedConfig; runDir: string }
    let backup = ''
    let rejected = ''

    beforeAll(async () => {
      await createAppDatabase(live)
      before = await databaseState(live)
      run = await upgrade(live, `${prefix}_rb_stg`, 'rollback')
      backup = readManifest(run.runDir).swap!.backup
    })

    it('the upgrade swapped: the live database has the new schema, the old one is the backup', async () => {
      expect(backup).toMatch(new RegExp(`^${live}_dd_backup_\\d{14}$`))
      expect(await databasesWithPrefix(`${live}_dd_`)).toEqual([backup])
      expect(await sql(live, 'SELECT nickname FROM accounts WHERE id = 3')).toEqual([{ nickname: 'user3' }])
      expect(await databaseState(backup)).toEqual(before)
    })

    it('restores the old schema and data exactly and keeps the upgraded database as _dd_rejected_', async () => {
      const upgradedSchema = await schemaDump(live)
      rejected = await rollbackRun(postgresDriver, run.config.source, manifestOf(run.runDir))
      const runId = readManifest(run.runDir).runId
      expect(rejected).toBe(`${live}_dd_rejected_${runId.replace('-', '')}`)

      const after = await databaseState(live)
      expect(after.schema).toBe(before.schema)
      expect(after.data).toEqual(before.data)
      expect(await databaseExists(backup)).toBe(false)
      expect(await databasesWithPrefix(`${live}_dd_`)).toEqual([rejected])
      expect(await schemaDump(rejected)).toBe(upgradedSchema)
      expect(await sql(rejected, 'SELECT what FROM audit')).toEqual([{ what: 'upgraded' }])

      const manifest = readManifest(run.runDir)
      expect(manifest.verdict).toBe('rolled-back')
      expect(manifest.swap).toMatchObject({ status: 'rolled-back', live, backup: rejected })
    })

    it('refuses a second rollback of the same run with DD_NOT_SWAPPED', async () => {
      const error = await expectDrydockError(rollbackRun(postgresDriver, run.config.source, manifestOf(run.runDir)), 'DD_NOT_SWAPPED')
      expect(error.message).toBe(`run ${readManifest(run.runDir).runId} has no swapped database to roll back (state: rolled-back)`)
      expect(error.ctx.stage).toBe('rollback')
      expect(await databaseState(live)).toEqual(before)
    })
  })

  describe('cleanup', () => {
    const live = `${prefix}_cu`
    let run: { config: ParsedConfig; runDir: string }

    beforeAll(async () => {
      await createAppDatabase(live)
      run = await upgrade(live, `${prefix}_cu_stg`, 'cleanup')
    })

    it('drops the _dd_backup_ database and leaves the upgraded one live', async () => {
      const backup = readManifest(run.runDir).swap!.backup
      expect(await databaseExists(backup)).toBe(true)
      const upgraded = await databaseState(live)

      expect(await cleanupRun(postgresDriver, run.config.source, manifestOf(run.runDir))).toBe(backup)

      expect(await databaseExists(backup)).toBe(false)
      expect(await databasesWithPrefix(`${live}_dd_`)).toEqual([])
      expect(await databaseState(live)).toEqual(upgraded)
      expect(readManifest(run.runDir).swap).toMatchObject({ status: 'cleaned-up', live, backup })
    })

    it('then refuses to roll back: there is no backup left', async () => {
      const error = await expectDrydockError(rollbackRun(postgresDriver, run.config.source, manifestOf(run.runDir)), 'DD_NOT_SWAPPED')
      expect(error.message).toMatch(/\(state: cleaned-up\)$/)
    })
  })

  it('rollback of a run that never swapped fails with DD_NOT_SWAPPED and changes nothing', async () => {
    const live = `${prefix}_ns`
    await createAppDatabase(live)
    const before = await databaseState(live)
    const dir = tempDir('noswap')
    const config = configIn(dir, { source: pgUrl(live), staging: pgUrl(`${prefix}_ns_stg`), migrate: [{ command: 'exit 1' }] })
    await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    const runDir = onlyRun(config)
    const runId = readManifest(runDir).runId

    const error = await expectDrydockError(rollbackRun(postgresDriver, config.source, manifestOf(runDir)), 'DD_NOT_SWAPPED')
    expect(error.message).toBe(`run ${runId} has no swapped database to roll back (state: never swapped)`)
    expect(error.ctx.hint).toContain('`--rollback` and `--cleanup` take the run that swapped')
    const cleanup = await expectDrydockError(cleanupRun(postgresDriver, config.source, manifestOf(runDir)), 'DD_NOT_SWAPPED')
    expect(cleanup.message).toBe(`run ${runId} has no swapped database to clean up (state: never swapped)`)
    expect(cleanup.ctx.stage).toBe('cleanup')
    expect(await databaseState(live)).toEqual(before)
    expect(await databasesWithPrefix(`${live}_dd_`)).toEqual([])
  })
})
