/**
 * --verify --locate on both engines, over databases of different names: integer, text and
 * composite primary keys are bisected in key order down to the differing rows; a table
 * without a primary key says it cannot be located.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareDatabases, type CompareResult } from '../../pipeline/compare/compare-databases.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { ENGINES } from '../helpers/engines.ts'

const SCHEMA = {
  postgres: `
CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL);
INSERT INTO events SELECT i, 'kind ' || (i % 7) FROM generate_series(1, 3000) i;
CREATE TABLE pairs (tenant int, code varchar(20), n int NOT NULL, PRIMARY KEY (tenant, code));
INSERT INTO pairs SELECT i % 10, 'c' || i, i FROM generate_series(1, 2000) i;
CREATE TABLE labels (name varchar(40) PRIMARY KEY, hits int NOT NULL);
INSERT INTO labels SELECT 'label-' || i, i FROM generate_series(1, 500) i;
CREATE TABLE loose (n int);
INSERT INTO loose SELECT generate_series(1, 5);
`,
  mysql: `
CREATE TABLE events (id BIGINT PRIMARY KEY, kind VARCHAR(20) NOT NULL);
INSERT INTO events SELECT seq, CONCAT('kind ', seq % 7) FROM seq_1_to_3000;
CREATE TABLE pairs (tenant INT, code VARCHAR(20), n INT NOT NULL, PRIMARY KEY (tenant, code));
INSERT INTO pairs SELECT seq % 10, CONCAT('c', seq), seq FROM seq_1_to_2000;
CREATE TABLE labels (name VARCHAR(40) PRIMARY KEY, hits INT NOT NULL);
INSERT INTO labels SELECT CONCAT('label-', seq), seq FROM seq_1_to_500;
CREATE TABLE loose (n INT);
INSERT INTO loose SELECT seq FROM seq_1_to_5;
`,
}

const CHANGES = `
UPDATE events SET kind = 'edited' WHERE id = 2042;
DELETE FROM events WHERE id = 777;
INSERT INTO events VALUES (5000, 'late');
UPDATE pairs SET n = -1 WHERE tenant = 3 AND code = 'c1213';
DELETE FROM pairs WHERE tenant = 7 AND code = 'c7';
INSERT INTO pairs VALUES (4, 'zz', 0);
UPDATE labels SET hits = 0 WHERE name = 'label-250';
INSERT INTO loose VALUES (6);
`

describe.each(ENGINES)('--locate on $name', (engine) => {
  const prefix = engine.uniquePrefix('locate')
  const left = `${prefix}_left`
  const right = `${prefix}_other_name`
  let result: CompareResult
  const table = (name: string) => result.tables.find((t) => t.table.endsWith(name))!

  beforeAll(async () => {
    for (const db of [left, right]) {
      await (engine.engine === 'postgres' ? import('../helpers/postgres.ts') : import('../helpers/mysql.ts')).then((m) => m.createDatabase(db))
      await engine.query(db, SCHEMA[engine.engine])
    }
    await engine.query(right, CHANGES)
    const ep = (database: string) => parseEndpoint(engine.url(database), 'test')
    result = await compareDatabases(ep(left), ep(right), { jobs: 2, locate: true })
  })

  afterAll(async () => {
    await engine.dropWithPrefix(prefix)
  })

  it('pairs the tables by name although the databases are named differently', () => {
    expect(result.tables.map((t) => t.status)).toEqual(['differs', 'differs', 'differs', 'differs'])
  })

  it('locates the changed, deleted and inserted rows of an integer key', () => {
    expect(table('events').located).toMatchObject({ key: 'id', status: 'located', truncated: false })
    expect(table('events').located!.differences).toEqual([
      { key: '777', kind: 'missing-right' }, { key: '2042', kind: 'changed', columns: ['kind'] }, { key: '5000', kind: 'missing-left' },
    ])
    // Bisection reads some spans, not every row.
    expect(table('events').located!.rangeChecksums).toBeLessThan(120)
  })

  it('locates rows of a composite key', () => {
    expect(table('pairs').located).toMatchObject({ key: 'tenant, code', status: 'located' })
    expect(table('pairs').located!.differences).toEqual([
      { key: '(3, c1213)', kind: 'changed', columns: ['n'] }, { key: '(4, zz)', kind: 'missing-left' }, { key: '(7, c7)', kind: 'missing-right' },
    ])
  })

  it('locates rows of a text key', () => {
    expect(table('labels').located!.differences).toEqual([{ key: 'label-250', kind: 'changed', columns: ['hits'] }])
  })

  it('a table without a primary key cannot be located, and says so', () => {
    expect(table('loose').located).toMatchObject({ status: 'cannot-locate', reason: 'no primary key: cannot locate' })
  })
})
