/**
 * Every MariaDB type that matters survives the whole pipeline exactly: snapshot → dump →
 * staging → migrate (a step that only touches another table) → load back → swap. The live
 * database after the swap is compared with the original, column by column as exact text
 * (HEX for bytes), and so are views, triggers, routines and AUTO_INCREMENT counters.
 * Then --rollback brings the original back.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { ManifestStore } from '../../pipeline/run-state/run-dir.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { rollbackRun } from '../../pipeline/stages/swap/swap-stage.ts'
import { configIn, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import {
  autoIncrement, createDatabase, databaseExists, databasesWithPrefix, databaseState, dropDatabasesWithPrefix, myUrl, rowsAsText, sql, uniquePrefix,
} from '../helpers/mysql.ts'
import { ALL_BYTES, NASTY_SCHEMA as SCHEMA } from '../helpers/mysql-nasty.ts'

const prefix = uniquePrefix('types')
const live = `${prefix}_live`

describe('MariaDB exact round trip through the whole pipeline', () => {
  let before: Awaited<ReturnType<typeof databaseState>>
  let runDir = ''

  beforeAll(async () => {
    await createDatabase(live)
    await sql(live, SCHEMA)
    before = await databaseState(live)
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('upgrades, verifies every table at both hops and swaps', async () => {
    const dir = tempDir('my-types')
    writeFile(dir, 'side.sql', 'CREATE TABLE side_note (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT);\nINSERT INTO side_note (note) VALUES (\'migrated\');\n')
    // Staging's tickets must draw from staging's own sequence, never from production's.
    writeFile(dir, 'own-sequence.sql', "SET @def = (SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tickets' AND COLUMN_NAME = 'id');\n" +
      `SELECT IF(@def LIKE '%${live}%', (SELECT 1 FROM information_schema.TABLES WHERE TABLE_ROWS > 0 AND TABLE_ROWS < 0 UNION SELECT 2 UNION SELECT 3), 'own sequence') AS checked;\n`)
    const config = configIn(dir, { source: myUrl(live), staging: myUrl(`${prefix}_staging`), migrate: [{ sql: 'own-sequence.sql' }, { sql: 'side.sql' }] })
    const result = await runUpgrade(config, RUN_OPTIONS)
    runDir = result.runDir
    const report = readReport(runDir)
    expect(report.verdict).toBe('verified')
    expect(report.hop1.tables.map((t) => t.check)).toEqual(report.hop1.tables.map(() => 'ok'))
    expect(report.hop1.tables).toHaveLength(14)
    expect(report.hop1.verified).toBe(14)
    expect(report.hop2.tables).toHaveLength(15)
    expect(report.hop2.verified).toBe(15)
    expect(report.snapshot?.position).toMatch(/binlog/)
    expect(await databaseExists(`${prefix}_staging`)).toBe(false)
  })

  it('leaves live equal to the original, value for value', async () => {
    expect(await databaseState(live, ['side_note'])).toEqual(before)
    expect(await rowsAsText(live, 'side_note')).toEqual([['1', 'migrated']])
    const texts = await rowsAsText(live, 'texts', 'id')
    expect(texts[0]![8]).toBe(ALL_BYTES.toUpperCase())
    expect(texts[0]![9]).toBe('610000')
    expect(texts[1]!.slice(1, 8)).toEqual(['', '', '', '', 'a', '', '[]'])
    expect(texts[2]!.slice(1, 11)).toEqual(Array(10).fill(null))
    expect(texts[3]!.slice(1, 4)).toEqual(['NULL', 'N', 'NULL'])
    const numbers = await rowsAsText(live, 'numbers', 'id')
    expect(numbers[0]!.slice(1, 4)).toEqual(['18446744073709551615', '-9223372036854775808', '99999999999999999999999999999999999.999999999999999999999999999999'])
    expect(numbers[0]![8]).toBe('FFFFFFFFFFFFFFFF')
    const times = await rowsAsText(live, 'times', 'id')
    expect(times.map((t) => t[1])).toEqual(['1000-01-01 00:00:00.000000', '9999-12-31 23:59:59.999999', '0000-00-00 00:00:00.000000', null])
    expect(times.map((t) => t[3])).toEqual(['-838:59:59.000000', '838:59:59.000000', '-00:00:00.000001', '00:00:00.000000'])
    expect((await sql(live, 'SELECT n FROM child_count'))[0]!.n).toBe('2')
    expect((await sql(live, 'SELECT twice(21) AS n'))[0]!.n).toBe('42')
  })

  it('keeps AUTO_INCREMENT counters (gaps included) and sequences', async () => {
    expect(await autoIncrement(live, 'counters')).toBe('6')
    await sql(live, "INSERT INTO counters (note) VALUES ('next')")
    expect((await sql(live, "SELECT id FROM counters WHERE note = 'next'"))[0]!.id).toBe('6')
    await sql(live, "INSERT INTO parent (id, name) VALUES (3, 'lower')")
    expect((await sql(live, 'SELECT name FROM parent WHERE id = 3'))[0]!.name).toBe('LOWER')
    await sql(live, "INSERT INTO tickets (t) VALUES ('c')")
    expect(await rowsAsText(live, 'tickets', 'id')).toEqual([['100', 'a'], ['101', 'b'], ['102', 'c']])
    // Tables the migration left unchanged stay live through swap and rollback: clean up after ourselves.
    await sql(live, "DELETE FROM counters WHERE note = 'next'; DELETE FROM parent WHERE id = 3; DELETE FROM tickets WHERE t = 'c'")
  })

  it('rolls back to the original database', async () => {
    const manifest = ManifestStore.load(join(runDir, 'manifest.json'))
    const backup = manifest.data.swap!.backup
    expect(await databaseExists(backup)).toBe(true)
    const rejected = await rollbackRun(mysqlDriver, parseEndpoint(myUrl(live), 'source'), manifest)
    expect(await databaseExists(backup)).toBe(false)
    expect(await databaseExists(rejected)).toBe(true)
    expect(await databaseState(live)).toEqual(before)
    expect((await databaseState(rejected)).data.side_note).toMatch(/^1:/)
    expect(await databasesWithPrefix(prefix)).toEqual([live, rejected].sort())
  })
})
