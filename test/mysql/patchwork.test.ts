/**
 * The Patchwork-like MariaDB fixture (fixtures/patchwork/mysql) goes through the whole
 * pipeline with its example 2.x → 3.0 upgrade: every table is verified at both hops, the
 * upgraded schema is live after the swap with AUTO_INCREMENT counters intact, and --cleanup
 * drops the backup.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { ManifestStore } from '../../pipeline/run-state/run-dir.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import type { UpgradeResult } from '../../pipeline/runner/execute-run.ts'
import { cleanupRun } from '../../pipeline/stages/swap/swap-stage.ts'
import { configIn, REPO, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import { autoIncrement, baseTables, createDatabase, databaseExists, dropDatabasesWithPrefix, myUrl, sql, uniquePrefix } from '../helpers/mysql.ts'

const prefix = uniquePrefix('pw')
const live = `${prefix}_patchwork`
const fixtures = join(REPO, 'fixtures', 'patchwork', 'mysql')

const count = async (table: string) => (await sql(live, `SELECT COUNT(*) AS n FROM ${table}`))[0]!.n

describe('Patchwork-like MariaDB database, 2.x → 3.0', () => {
  let result: UpgradeResult

  beforeAll(async () => {
    await createDatabase(live)
    const dir = tempDir('my-pw-seed')
    const source = parseEndpoint(myUrl(live), 'source')
    for (const file of ['schema.sql', 'seed.sql']) await mysqlDriver.runSqlFile(source, join(fixtures, file), join(dir, 'seed.log'))
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('upgrades with every table verified at both hops', async () => {
    const dir = tempDir('my-pw')
    const config = configIn(dir, {
      source: myUrl(live),
      staging: myUrl(`${prefix}_staging`),
      migrate: [{ name: 'Patchwork 2.x → 3.0 example upgrade', sql: join(fixtures, 'upgrade', '*.sql') }],
    })
    result = await runUpgrade(config, RUN_OPTIONS)
    const { report } = result
    expect(report.verdict).toBe('verified')
    expect(report.hop1.tables).toHaveLength(15)
    expect(report.hop1.tables.filter((t) => t.check !== 'ok')).toEqual([])
    expect(report.hop1.tables.find((t) => t.table.endsWith('.patchwork_patch'))?.rows).toBe(5000)
    expect(report.hop2.tables).toHaveLength(15)
    // Tables the upgrade left alone stay live ('kept', docs/how-it-works.md "Load back only what changed").
    expect(report.hop2.tables.filter((t) => t.check !== 'ok' && t.check !== 'kept')).toEqual([])
    expect(report.hop2.tables.filter((t) => t.check === 'kept').every((t) => t.staging !== null)).toBe(true)
    expect(report.steps.map((s) => s.status)).toEqual(['done'])
  })

  it('leaves the 3.0 schema live, with its data and counters', async () => {
    expect(await baseTables(live)).toEqual([
      'auth_user', 'patchwork_bundle', 'patchwork_bundlepatch', 'patchwork_check', 'patchwork_cover', 'patchwork_covercomment',
      'patchwork_patch', 'patchwork_patchcomment', 'patchwork_patchrelation', 'patchwork_patchtag', 'patchwork_person',
      'patchwork_project', 'patchwork_series', 'patchwork_state', 'patchwork_tag',
    ])
    expect(await count('patchwork_patch')).toBe('5000')
    expect(await count('patchwork_cover')).toBe('1000')
    expect(Number(await count('patchwork_patchcomment')) + Number(await count('patchwork_covercomment'))).toBe(8000)
    expect(await autoIncrement(live, 'patchwork_patch')).toBe('6001')
    const [fk] = await sql(live, `SELECT REFERENCED_TABLE_NAME AS t FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'patchwork_series_cover_letter_id_fk'`)
    expect(fk?.t).toBe('patchwork_cover')
    const [person] = await sql(live, "SELECT COUNT(*) AS n FROM patchwork_person WHERE name_lower = LOWER(name)")
    expect(person!.n).toBe(String(2000 - Math.floor(2000 / 97)))
  })

  it('drops the backup on cleanup', async () => {
    const manifest = ManifestStore.load(join(result.runDir, 'manifest.json'))
    const backup = await cleanupRun(mysqlDriver, parseEndpoint(myUrl(live), 'source'), manifest)
    expect(backup).toMatch(/_dd_backup_/)
    expect(await databaseExists(backup)).toBe(false)
    expect(await databaseExists(live)).toBe(true)
  })
})
