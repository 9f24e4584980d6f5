/**
 * The MySQL driver's speed work keeps behaviour: the per-table index ALTERs applied over several
 * connections leave every index and foreign key of the source (what the checksum must tell
 * apart: test/drivers/checksum-properties.test.ts).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { REPO, removeTempDirs, tempDir } from '../helpers/drydock.ts'
import { baseTables, createDatabase, dropDatabasesWithPrefix, myUrl, schemaOf, sql, uniquePrefix } from '../helpers/mysql.ts'

const prefix = uniquePrefix('speed')
const endpoint = (database: string) => parseEndpoint(myUrl(database), 'source')

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('post-data index ALTERs over several connections', () => {
  const from = `${prefix}_from`
  const to = `${prefix}_to`
  let dir: string

  beforeAll(async () => {
    dir = tempDir('my-speed')
    await createDatabase(from)
    await createDatabase(to)
    const fixtures = join(REPO, 'fixtures/patchwork/mysql')
    await mysqlDriver.probe(endpoint(from))
    await mysqlDriver.runSqlFile(endpoint(from), join(fixtures, 'schema.sql'), join(dir, 'seed.log'))
    await sql(from, 'INSERT INTO auth_user (id, password, username) VALUES (1, "x", "u1"), (2, "y", "u2")')
    await sql(from, 'INSERT INTO patchwork_person (id, email, name, user_id) VALUES (1, "a@example.org", "Ann", 1), (2, "b@example.org", NULL, NULL)')
    const options = (section: string) => ({ saveAs: join(dir, `${section}.sql`), logFile: join(dir, 'tools.log'), jobs: 3 })
    await mysqlDriver.copySchema(endpoint(from), endpoint(to), 'pre-data', options('pre-data'))
    const source = await mysqlDriver.connect(endpoint(from))
    const target = await mysqlDriver.connect(endpoint(to))
    try {
      for (const table of await source.inventory()) {
        const reader = await source.readTable(table)
        await target.writeTable(table, reader.stream, [])
      }
    } finally {
      await source.close()
      await target.close()
    }
    await mysqlDriver.copySchema(endpoint(from), endpoint(to), 'post-data', options('post-data'))
  })

  it('leaves every index and foreign key of the source', async () => {
    const [a, b] = [await schemaOf(from), await schemaOf(to)]
    expect(b).toBe(a)
    expect(a).toContain('FULLTEXT KEY `patchwork_check_description_ft`')
    expect(a).toContain('CONSTRAINT `patchwork_patch_series_id_fk` FOREIGN KEY')
  })

  it('gives every table the same checksum on both sides', async () => {
    const left = await mysqlDriver.connect(endpoint(from))
    const right = await mysqlDriver.connect(endpoint(to))
    try {
      for (const name of await baseTables(from)) {
        const table = { schema: from, name }
        expect(await right.checksum(table), name).toEqual(await left.checksum(table))
      }
    } finally {
      await left.close()
      await right.close()
    }
  })
})
