/**
 * What a table checksum must tell apart, on every engine (pipeline/drivers/<engine>/<engine>-checksum.ts
 * hash each row's self-delimiting canonical text, long values by their own hash, and add the
 * row hashes up): the same for the same rows in any order or table, different for NULL against
 * empty, a value moved to another column or another row, trailing spaces, or duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Driver, TableChecksum } from '../../pipeline/drivers/driver.ts'
import { driverFor } from '../../pipeline/drivers/registry.ts'
import { engineFacts } from '../../pipeline/drivers/engines.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { ENGINES, type TestEngine } from '../helpers/engines.ts'

/** Two tables of the same columns: a key, a long text, an integer, a short text, bytes. */
const TABLES: Record<TestEngine['engine'], string> = {
  postgres: 'CREATE TABLE a (k int, s text, n int, v varchar(10), b bytea); CREATE TABLE b (LIKE a)',
  mysql: 'CREATE TABLE a (k INT, s TEXT, n INT, v VARCHAR(10), b BLOB); CREATE TABLE b LIKE a',
}
const BYTES: Record<TestEngine['engine'], (hex: string) => string> = {
  postgres: (hex) => `'\\x${hex}'::bytea`,
  mysql: (hex) => `X'${hex}'`,
}

describe.each(ENGINES)('table checksum on $name', (engine) => {
  const db = `${engine.uniquePrefix('sum')}_props`
  const schema = engineFacts(engine.engine).tablesByDatabase ? db : 'public'
  const bytes = BYTES[engine.engine]
  let driver: Driver

  beforeAll(async () => {
    driver = await driverFor(engine.engine)
    await engine.createDatabase(db)
    await engine.query(db, TABLES[engine.engine])
  })

  afterAll(async () => {
    await engine.dropWithPrefix(db)
  })

  const sumOf = async (table: 'a' | 'b', rows: string): Promise<TableChecksum> => {
    await engine.query(db, `TRUNCATE ${table}`)
    if (rows) await engine.query(db, `INSERT INTO ${table} VALUES ${rows}`)
    const session = await driver.connect(parseEndpoint(engine.url(db), 'source'))
    try {
      return await session.checksum({ schema, name: table })
    } finally {
      await session.close()
    }
  }

  it('does not depend on row order, and is the same for the same rows in another table', async () => {
    expect(await sumOf('a', `(1, 'x', 2, 'ab', ${bytes('01')}), (2, NULL, NULL, NULL, NULL)`))
      .toEqual(await sumOf('b', `(2, NULL, NULL, NULL, NULL), (1, 'x', 2, 'ab', ${bytes('01')})`))
  })

  it.each([
    ['NULL and empty text', "(1, NULL, 1, 'a', NULL)", "(1, '', 1, 'a', NULL)"],
    ['a value moved to another text column', "(1, 'x', 1, NULL, NULL)", "(1, NULL, 1, 'x', NULL)"],
    ['text and the same bytes in a binary column', "(1, 'x', 1, 'a', NULL)", `(1, NULL, 1, 'a', ${bytes('78')})`],
    ['trailing spaces', "(1, 'a  ', 1, 'a', NULL)", "(1, 'a', 1, 'a', NULL)"],
    ['texts swapped between rows', "(1, 'x', 1, 'a', NULL), (2, 'y', 2, 'b', NULL)", "(1, 'y', 1, 'a', NULL), (2, 'x', 2, 'b', NULL)"],
    ['integers swapped between rows', "(1, 'x', 1, 'a', NULL), (2, 'y', 2, 'b', NULL)", "(1, 'x', 2, 'a', NULL), (2, 'y', 1, 'b', NULL)"],
    ['two copies of one row and two of another (a sum, not XOR)',
      "(1, 'p', 1, 'a', NULL), (1, 'p', 1, 'a', NULL), (3, 'z', 3, 'c', NULL)", "(2, 'q', 2, 'b', NULL), (2, 'q', 2, 'b', NULL), (3, 'z', 3, 'c', NULL)"],
  ])('tells apart %s', async (_what, left, right) => {
    const [x, y] = [await sumOf('a', left), await sumOf('b', right)]
    expect(x.rows).toBe(y.rows)
    expect(x.digest).not.toBe(y.digest)
  })
})
