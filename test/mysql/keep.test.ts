/**
 * Load back only what changed (MySQL/MariaDB): a table the migration left unchanged stays live —
 * the same InnoDB table, not a copy — while changed tables are copied and swapped; foreign keys,
 * views and changed indexes make a table copied after all; rollback leaves kept tables alone.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { chooseKept } from '../../pipeline/stages/loadback/keep-tables.ts'
import { ManifestStore, runPaths } from '../../pipeline/run-state/run-dir.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { rollbackRun } from '../../pipeline/stages/swap/swap-stage.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { configIn, readManifest, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { baseTables, createDatabase, dropDatabasesWithPrefix, myUrl, sql, tableDigests, uniquePrefix } from '../helpers/mysql.ts'

const prefix = uniquePrefix('keep')

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

const SEED = [
  'CREATE TABLE authors (id INT PRIMARY KEY, name VARCHAR(50))',
  'CREATE TABLE books (id INT PRIMARY KEY, author_id INT, title VARCHAR(50), FOREIGN KEY (author_id) REFERENCES authors (id))',
  'CREATE TABLE logs (id INT PRIMARY KEY AUTO_INCREMENT, msg TEXT)',
  'CREATE TABLE tags (id INT PRIMARY KEY, t VARCHAR(20))',
  'CREATE TABLE audit (id INT PRIMARY KEY, v INT)',
  'CREATE TRIGGER audit_bi BEFORE INSERT ON audit FOR EACH ROW SET NEW.v = NEW.v + 1',
  'CREATE TABLE viewed (id INT PRIMARY KEY)',
  'CREATE VIEW v_viewed AS SELECT id FROM viewed',
  'CREATE TABLE indexed (id INT PRIMARY KEY, a INT)',
  // RESTRICT said out loud: re-created by ALTER with checks off, MariaDB would store it as NO ACTION.
  'CREATE TABLE reviews (id INT PRIMARY KEY, log_id INT, stars INT, CONSTRAINT reviews_log FOREIGN KEY (log_id) REFERENCES logs (id) ON DELETE RESTRICT ON UPDATE RESTRICT)',
  "INSERT INTO authors VALUES (1, 'ann'), (2, 'bob')",
  "INSERT INTO books VALUES (1, 1, 'one'), (2, 2, 'two')",
  "INSERT INTO logs (msg) SELECT CONCAT('line ', seq) FROM seq_1_to_500",
  "INSERT INTO tags VALUES (1, 'red'), (2, 'blue')",
  'INSERT INTO audit (id, v) VALUES (1, 10)',
  'INSERT INTO viewed VALUES (1), (2)',
  'INSERT INTO indexed VALUES (1, 5)',
  'INSERT INTO reviews VALUES (1, 1, 3), (2, 2, 4)',
]

const MIGRATION = `UPDATE tags SET t = UPPER(t);
UPDATE authors SET name = CONCAT(name, '!');
CREATE INDEX ix_a ON indexed (a);
UPDATE reviews SET stars = stars + 1;
`

/** Where the foreign key `reviews_log` of `db`.reviews points, its rules, and whether it is enforced. */
async function reviewsKey(db: string): Promise<{ ref: string; rules: string; enforced: boolean }> {
  const [row] = await sql(null, `SELECT CONCAT(UNIQUE_CONSTRAINT_SCHEMA, '.', REFERENCED_TABLE_NAME) AS ref, CONCAT(DELETE_RULE, '/', UPDATE_RULE) AS rules
    FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = 'reviews' AND CONSTRAINT_NAME = 'reviews_log'`, [db])
  const enforced = await sql(db, 'INSERT INTO reviews VALUES (99, 123456, 1)').then(() => false, () => true)
  return { ref: row!.ref!, rules: row!.rules!, enforced }
}

/** InnoDB's id of a table: the same id means the same table, not a copy of it. */
async function tableId(db: string, table: string): Promise<string | null> {
  const [row] = await sql(null, 'SELECT CAST(TABLE_ID AS CHAR) AS id FROM information_schema.INNODB_SYS_TABLES WHERE NAME = ?', [`${db}/${table}`])
  return row?.id ?? null
}

describe('MariaDB: load back only what changed', () => {
  it('keeps unchanged tables live (same table, same triggers), copies the rest, and rolls back around them', async () => {
    const db = `${prefix}_app`
    await createDatabase(db)
    for (const statement of SEED) await sql(db, statement)
    const before = await tableDigests(db)
    const ids = { logs: await tableId(db, 'logs'), audit: await tableId(db, 'audit'), tags: await tableId(db, 'tags') }
    const dir = tempDir('keep')
    writeFile(dir, 'migrate.sql', MIGRATION)
    const config = configIn(dir, { source: myUrl(db), staging: myUrl(`${db}_stg`), migrate: [{ sql: 'migrate.sql' }] })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')

    const manifest = readManifest(result.runDir)
    const short = (key: string) => key.slice(key.lastIndexOf('.') + 1)
    expect(manifest.keep!.tables.map(short)).toEqual(['audit', 'logs'])
    expect(Object.fromEntries(manifest.keep!.copiedAnyway.map((c) => [short(c.table), c.reason]))).toEqual({
      books: expect.stringMatching(/^it references .*authors, which is copied$/),
      viewed: 'a view names it',
    })
    // A table that only gained an index is a changed table, not an unchanged one copied anyway.
    expect(manifest.carryOver!.find((c) => short(c.table) === 'indexed')?.status).toBe('definition-changed')
    // Kept: the very same tables, still live, with their trigger; copied ones are new tables.
    expect(await tableId(db, 'logs')).toBe(ids.logs)
    expect(await tableId(db, 'audit')).toBe(ids.audit)
    expect(await tableId(db, 'tags')).not.toBe(ids.tags)
    expect((await baseTables(manifest.target.backup!)).sort()).toEqual(['authors', 'books', 'indexed', 'reviews', 'tags', 'viewed'])
    // The copied reviews table references the kept live logs table (re-pointed before the swap).
    expect(await reviewsKey(db)).toEqual({ ref: `${db}.logs`, rules: 'RESTRICT/RESTRICT', enforced: true })
    // The old copies parked in the backup hold no key into live tables (it would block deletes there).
    const crossKeys = (schema: string) => sql(null, 'SELECT COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND UNIQUE_CONSTRAINT_SCHEMA = ?', [schema, db])
    expect(await crossKeys(manifest.target.backup!)).toEqual([{ n: '0' }])
    const after = await tableDigests(db)
    expect(after.logs).toBe(before.logs)
    expect(await sql(db, 'SELECT t FROM tags ORDER BY id')).toEqual([{ t: 'RED' }, { t: 'BLUE' }])
    await sql(db, 'INSERT INTO audit (id, v) VALUES (2, 20)')
    expect(await sql(db, 'SELECT CAST(v AS CHAR) AS v FROM audit WHERE id = 2')).toEqual([{ v: '21' }])
    await sql(db, 'DELETE FROM audit WHERE id = 2')
    expect(await sql(db, 'SELECT COUNT(*) AS n FROM v_viewed')).toEqual([{ n: '2' }])
    const hop2 = readReport(result.runDir).hop2
    expect(hop2.tables.filter((t) => t.check === 'kept').map((t) => short(t.table)).sort()).toEqual(['audit', 'logs'])
    expect(hop2.verified).toBe(hop2.tables.length)

    // Rollback: the old copied tables come back; kept tables never moved.
    const store = ManifestStore.load(runPaths(result.runDir).manifest)
    const rejected = await rollbackRun(mysqlDriver, parseEndpoint(myUrl(db), 'source'), store)
    expect(await crossKeys(rejected)).toEqual([{ n: '0' }])
    expect(await tableDigests(db)).toEqual(before)
    expect(await reviewsKey(db)).toEqual({ ref: `${db}.logs`, rules: 'RESTRICT/RESTRICT', enforced: true })
    expect(await tableId(db, 'logs')).toBe(ids.logs)
    expect(await tableId(db, 'tags')).toBe(ids.tags)
    expect(await sql(db, 'SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db])).toEqual([{ n: '1' }])
  })
})

describe('choosing the tables to keep', () => {
  const defs = (names: string[]) => new Map(names.map((n) => [n, `def-${n}`]))
  it('copies a table that references a copied one, and what references it in turn; a copied table may reference a kept one', () => {
    const before = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => [n, `def-${n}`]))
    // d changed; b → d, a → b: both copied. f → c (kept → kept) stays; d → c (copied → kept) is fine.
    const decision = chooseKept(['a', 'b', 'c', 'e', 'f'], before, {
      definitions: defs(['a', 'b', 'c', 'd', 'e', 'f']),
      references: [{ from: 'a', to: 'b' }, { from: 'b', to: 'd' }, { from: 'e', to: null }, { from: 'f', to: 'c' }, { from: 'd', to: 'c' }],
      inViews: new Set(),
    })
    expect(decision.kept).toEqual(['c', 'f'])
    expect(decision.copiedAnyway.map((c) => c.table).sort()).toEqual(['a', 'b', 'e'])
  })
})
