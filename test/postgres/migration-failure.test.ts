/**
 * A failing migration step stops the run with DD_MIGRATION_FAILED, and production is exactly
 * as it was: same schema text, same rows, no shadow database, not renamed.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import {
  configIn, expectDrydockError, onlyRun, readManifest, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile,
} from '../helpers/drydock.ts'
import { createAppDatabase } from '../helpers/fixture.ts'
import {
  databaseExists, databasesWithPrefix, databaseState, drydockSessions, dropDatabasesWithPrefix, PG_USER, pgUrl, uniquePrefix,
} from '../helpers/postgres.ts'

const prefix = uniquePrefix('mfail')
const source = `${prefix}_src`
let before: Awaited<ReturnType<typeof databaseState>>

async function expectProductionUntouched(): Promise<void> {
  expect(await databaseExists(source)).toBe(true)
  expect(await databaseState(source)).toEqual(before)
  // No shadow, backup or rejected copy: only the live database and this file's staging databases.
  expect(await databasesWithPrefix(`${source}_dd_`)).toEqual([])
  expect(await drydockSessions(source)).toBe(0)
}

describe('a failing migration step', () => {
  beforeAll(async () => {
    await createAppDatabase(source)
    before = await databaseState(source)
    expect(before.data['public.orders']).toMatch(/^500:/)
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('SQL with an error: DD_MIGRATION_FAILED with the server message, production unchanged', async () => {
    const dir = tempDir('mfail-sql')
    const file = writeFile(dir, '0001-broken.sql', `
      ALTER TABLE accounts ADD COLUMN nickname text;
      UPDATE accounts SET balance = balance / 0;
    `)
    const staging = `${prefix}_stg_sql`
    const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(staging), migrate: [{ sql: '*.sql' }] })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')

    expect(error.message.split('\n')[0]).toBe(`SQL migration (${file}) on ${pgUrl(staging, PG_USER)} failed:`)
    expect(error.message).toContain('division by zero')
    expect(error.ctx.stage).toBe('migrate')
    expect(error.ctx.hint).toContain(`production is untouched; fix step 1, then rerun the migration on staging as it was before it: --resume ${onlyRun(config)} --from migrate`)
    const runDir = onlyRun(config)
    expect(error.ctx.hint).toContain(`full output in ${join(runDir, 'steps', '01-sql.log')}`)
    expect(error.describe()).toMatch(/^migrate: SQL migration \(/)

    await expectProductionUntouched()
    const report = readReport(runDir)
    expect(report.verdict).toBe('failed')
    expect(report.failure).toMatchObject({ code: 'DD_MIGRATION_FAILED', stage: 'migrate' })
    expect(report.swap).toBeNull()
    expect(report.hop2.tables).toEqual([])
    expect(report.stages.map((s) => `${s.name}:${s.status}`)).toEqual([
      'snapshot:done', 'staging:done', 'dump:done', 'load:done', 'verify-hop1:done', 'migrate:failed',
    ])
    expect(readManifest(runDir).steps).toMatchObject([{ index: 1, kind: 'sql', status: 'failed' }])
    expect(readFileSync(join(runDir, 'report.md'), 'utf8')).toMatch(/^# drydock run \d{8}-\d{6}: ✗ FAILED\n/)
  })

  it('a command that exits 3: DD_MIGRATION_FAILED naming the step and code, production unchanged', async () => {
    const dir = tempDir('mfail-cmd')
    writeFile(dir, 'ok.sql', 'ALTER TABLE accounts ADD COLUMN nickname text;\n')
    const config = configIn(dir, {
      source: pgUrl(source), staging: pgUrl(`${prefix}_stg_cmd`),
      migrate: [{ sql: 'ok.sql' }, { command: 'exit 3' }],
    })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')

    expect(error.message).toMatch(/^step 2 \(exit 3\) exited with code 3\b/)
    expect(error.ctx.stage).toBe('migrate')
    expect(error.ctx.hint).toContain('production is untouched; fix step 2, then rerun the migration on staging as it was before it')

    await expectProductionUntouched()
    const runDir = onlyRun(config)
    const report = readReport(runDir)
    expect(report.verdict).toBe('failed')
    expect(report.failure).toMatchObject({ code: 'DD_MIGRATION_FAILED', stage: 'migrate' })
    expect(report.steps).toMatchObject([
      { index: 1, name: 'ok.sql', kind: 'sql', status: 'done' },
      { index: 2, name: 'exit 3', kind: 'command', status: 'failed' },
    ])
    expect(report.swap).toBeNull()
  })
})
