/**
 * The canary on both engines: the nasty values survive source → staging → shadow exactly,
 * in under two seconds, the live database is left as it was and no scratch database stays
 * behind; a path that bends one value fails with DD_CANARY_FAILED naming column and type.
 */
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { canaryNames, runCanary } from '../../pipeline/safety/canary/canary.ts'
import { readCanaryFile } from '../../pipeline/safety/canary/canary-compare.ts'
import type { Driver } from '../../pipeline/drivers/driver.ts'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { expectDrydockError, removeTempDirs, tempDir } from '../helpers/drydock.ts'
import * as my from '../helpers/mysql.ts'
import * as pgh from '../helpers/postgres.ts'

afterAll(() => removeTempDirs())

/** A driver whose loads into databases ending in `suffix` change `from` into `to` on the way (after the file's hash). */
function bending(driver: Driver, suffix: string, from: string, to: string): Driver {
  return {
    ...driver,
    async connect(ep) {
      const session = await driver.connect(ep)
      if (!ep.database.endsWith(suffix)) return session
      const writeTable = session.writeTable.bind(session)
      session.writeTable = (table, source, through, beforeCommit) => writeTable(table, source, [...through, new Transform({
        transform(chunk: Buffer, _encoding, callback) { callback(null, Buffer.from(chunk.toString('utf8').replace(from, to), 'utf8')) },
      })], beforeCommit)
      return session
    },
  }
}

describe('PostgreSQL canary', () => {
  const prefix = pgh.uniquePrefix('flt')
  const live = `${prefix}_live`
  const source = parseEndpoint(pgh.pgUrl(live), 'source')
  const staging = parseEndpoint(pgh.pgUrl('postgres'), 'staging')
  afterAll(async () => { await pgh.dropDatabasesWithPrefix(prefix) })

  it('carries every nasty value exactly through staging and back, fast, touching neither the live database nor leaving scratch behind', async () => {
    await pgh.createDatabase(live)
    await pgh.sql(live, "CREATE TABLE app (id int PRIMARY KEY, v text); INSERT INTO app VALUES (1, 'live')")
    const before = await pgh.databaseState(live)
    const workDir = tempDir('flt-canary-pg')
    const result = await runCanary({ driver: postgresDriver, source, staging, workDir })
    expect(result).toMatchObject({ columns: 27, rows: 6, databases: canaryNames(live) })
    // About 1.3 s (PostgreSQL) and 0.3 s (MariaDB) on an idle machine; the bound only catches a canary gone slow.
    expect(result.ms).toBeLessThan(10_000)
    expect(await pgh.databaseState(live)).toEqual(before)
    expect(await pgh.databasesWithPrefix(prefix)).toEqual([live])
    // The comparison is only as good as the values: they really are the nasty ones.
    const rows = await readCanaryFile('postgres', join(workDir, 'canary-shadow.copy'))
    const one = rows.get('1')!
    expect(one.slice(1, 11)).toEqual(['2024-03-10 06:59:59.999999+00', '2024-03-31 02:30:00', '0044-03-15 BC', '24:00:00', '23:59:59.999999+14:59',
      '1 year 2 mons -3 days +04:05:06.789', 'NaN', 'Infinity', 'NaN', '0.000000000000000000000000000001'])
    expect(one[14]).toBe(`\\\\x${Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join('')}`)
    expect(rows.get('2')![11]).toBe('emoji 😀 𝄞 combining e\u0301 rtl אב bom \uFEFF end')
    expect(rows.get('3')![11]).toBe('\\\\.')
    expect(rows.get('6')!.slice(1)).toEqual(Array(26).fill(null))
  })

  it('a path that bends one value: DD_CANARY_FAILED naming the column, its type and the row; scratch dropped', async () => {
    const workDir = tempDir('flt-canary-pg-bad')
    const driver = bending(postgresDriver, '_dd_canary_shd', 'trailing  \t', 'trailing \t')
    const error = await expectDrydockError(runCanary({ driver, source, staging, workDir }), 'DD_CANARY_FAILED')
    const names = canaryNames(live)
    expect(error.message).toBe(`the canary table changed on the way from staging ${pgh.pgUrl(names.staging, pgh.PG_USER)} back to ${pgh.pgUrl(names.shadow, pgh.PG_USER)}: 1 value(s) differ:\n  column vc (character varying(40)), row id 1: "trailing  " became "trailing "`)
    expect(error.ctx.hint).toBe(`drydock would not carry such values exactly between these servers, so nothing was moved and production is untouched; keep ${workDir} (the canary's files and log) and report it`)
    expect(await pgh.databasesWithPrefix(prefix)).toEqual([live])
  })
})

describe('MySQL canary', () => {
  const prefix = my.uniquePrefix('flt')
  const live = `${prefix}_live`
  const source = parseEndpoint(my.myUrl(live), 'source')
  const staging = parseEndpoint(my.myUrl('mysql'), 'staging')
  afterAll(async () => { await my.dropDatabasesWithPrefix(prefix) })

  it('carries every nasty value exactly through staging and back, fast, touching neither the live database nor leaving scratch behind', async () => {
    await my.createDatabase(live)
    await my.sql(live, "CREATE TABLE app (id int PRIMARY KEY, v text); INSERT INTO app VALUES (1, 'live')")
    const before = await my.databaseState(live)
    const workDir = tempDir('flt-canary-my')
    const result = await runCanary({ driver: mysqlDriver, source, staging, workDir })
    expect(result).toMatchObject({ columns: 25, rows: 5, databases: canaryNames(live) })
    // About 1.3 s (PostgreSQL) and 0.3 s (MariaDB) on an idle machine; the bound only catches a canary gone slow.
    expect(result.ms).toBeLessThan(10_000)
    expect(await my.databaseState(live)).toEqual(before)
    expect(await my.databasesWithPrefix(prefix)).toEqual([live])
    const rows = await readCanaryFile('mysql', join(workDir, 'canary-shadow.csv'))
    expect(rows.get('1')!.slice(4, 10)).toEqual(['-838:59:59.000000', '1901', '99999999999999999999999999999999999.999999999999999999999999999999',
      '3.402820018375656e38', '1.7976931348623157e308', '18446744073709551615'])
    expect(rows.get('1')![17]).toBe(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''))
    expect(rows.get('1')![21]).toBe('😀 𝄞 e\u0301 א')
    // The test server's sql_mode allows zero dates, so they are in the canary.
    expect(rows.get('2')!.slice(1, 4)).toEqual(['0000-00-00', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00.000000'])
    expect(rows.get('4')!.slice(1)).toEqual(Array(24).fill(null))
    expect(rows.get('5')!.slice(20)).toEqual(['NULL', '\\N', 'NULL', 'NULL', 'NULL'])
  })

  it('a path that bends one value: DD_CANARY_FAILED naming the column, its type and the row; scratch dropped', async () => {
    const workDir = tempDir('flt-canary-my-bad')
    const driver = bending(mysqlDriver, '_dd_canary_stg', '"ab  "', '"ab "')
    const error = await expectDrydockError(runCanary({ driver, source, staging, workDir }), 'DD_CANARY_FAILED')
    const names = canaryNames(live)
    expect(error.message).toBe(`the canary table changed on the way from ${my.myUrl(names.source, my.MY_USER)} to staging ${my.myUrl(names.staging, my.MY_USER)}: 1 value(s) differ:\n  column vc (varchar(20)), row id 1: "ab  " became "ab "`)
    expect(await my.databasesWithPrefix(prefix)).toEqual([live])
  })
})
