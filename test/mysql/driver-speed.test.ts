/**
 * The MySQL driver's speed work keeps behaviour: the per-table index ALTERs applied over several
 * connections leave every index and foreign key of the source; the checksum (SHA-1 of the
 * row's self-delimiting parts, long values by their own SHA-1) still tells apart what it must.
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

describe('checksum', () => {
  const db = `${prefix}_sum`

  beforeAll(async () => {
    await createDatabase(db)
    await sql(db, 'CREATE TABLE a (k INT, s TEXT, n INT, v VARCHAR(10), b BLOB)')
    await sql(db, 'CREATE TABLE b LIKE a')
  })

  const sumOf = async (table: string, rows: string) => {
    await sql(db, `TRUNCATE ${table}`)
    if (rows) await sql(db, `INSERT INTO ${table} VALUES ${rows}`)
    const session = await mysqlDriver.connect(endpoint(db))
    try {
      return await session.checksum({ schema: db, name: table })
    } finally {
      await session.close()
    }
  }

  it('does not depend on row order', async () => {
    expect(await sumOf('a', "(1, 'x', 2, 'ab', 'q'), (2, NULL, NULL, NULL, NULL)"))
      .toEqual(await sumOf('b', "(2, NULL, NULL, NULL, NULL), (1, 'x', 2, 'ab', 'q')"))
  })

  it('tells apart NULL and empty values, values moved between columns or swapped between rows, and duplicates', async () => {
    const pairs: [string, string][] = [
      ["(1, NULL, 1, 'a', NULL)", "(1, '', 1, 'a', NULL)"],
      ["(1, 'x', 1, NULL, NULL)", "(1, NULL, 1, 'x', NULL)"],
      ["(1, 'x', 1, 'a', NULL)", "(1, NULL, 1, 'a', 'x')"],
      ["(1, 'x', 1, 'a', NULL), (2, 'y', 2, 'b', NULL)", "(1, 'y', 1, 'a', NULL), (2, 'x', 2, 'b', NULL)"],
      ["(1, 'x', 1, 'a', NULL), (2, 'y', 2, 'b', NULL)", "(1, 'x', 2, 'a', NULL), (2, 'y', 1, 'b', NULL)"],
      ["(1, 'p', 1, 'a', NULL), (1, 'p', 1, 'a', NULL), (3, 'z', 3, 'c', NULL)", "(2, 'q', 2, 'b', NULL), (2, 'q', 2, 'b', NULL), (3, 'z', 3, 'c', NULL)"],
    ]
    for (const [left, right] of pairs) {
      const [x, y] = [await sumOf('a', left), await sumOf('b', right)]
      expect(x.rows).toBe(y.rows)
      expect(x.digest, `${left} vs ${right}`).not.toBe(y.digest)
    }
  })
})
