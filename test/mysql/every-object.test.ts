/**
 * One MariaDB database that holds every kind of object together with the nasty-value tables —
 * sequences with options (a descending, cycling one too), a view with another DEFINER and an
 * SQL SECURITY INVOKER view, events, Aria tables with and without their own PAGE_CHECKSUM, a
 * MyISAM table, foreign keys with every rule and implicit indexes (named and unnamed) — goes
 * through ephemeral staging, URL staging and a separate target. Before and after, an
 * independent digest (mariadb-dump --no-data, the catalog, the sequences, CHECKSUM TABLE;
 * no drydock code) must be the same. A system-versioned table makes the run refuse up front.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { preflight } from '../../pipeline/safety/preflight/preflight.ts'
import { runPaths } from '../../pipeline/run-state/run-dir.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databasesWithPrefix, dropDatabasesWithPrefix, ident, myUrl, sql, uniquePrefix } from '../helpers/mysql.ts'
import { independentDigest, type Digest } from '../helpers/mysql-digest.ts'
import { NASTY_SCHEMA } from '../helpers/mysql-nasty.ts'

const prefix = uniquePrefix('every')
const live = `${prefix}_live`
const definer = `${prefix}_def`
const definerAccount = `'${definer}'@'localhost'`

const EVERY_OBJECT = `
CREATE SEQUENCE s_opts START WITH 100 INCREMENT BY 5 MINVALUE 1 MAXVALUE 100000 CACHE 10 NOCYCLE;
CREATE SEQUENCE s_down START WITH -1 INCREMENT BY -1 MINVALUE -1000 MAXVALUE -1 CACHE 3 CYCLE;
DO NEXTVAL(s_opts);
DO NEXTVAL(s_down);

CREATE TABLE base (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO base VALUES (1, 'one'), (2, 'two');
CREATE DEFINER = ${definerAccount} SQL SECURITY DEFINER VIEW v_definer AS SELECT id, v FROM base;
CREATE SQL SECURITY INVOKER VIEW v_invoker AS SELECT id, v FROM base WHERE id > 0 WITH CASCADED CHECK OPTION;

CREATE EVENT ev_nightly ON SCHEDULE EVERY 1 DAY STARTS '2035-01-01 03:00:00' ON COMPLETION PRESERVE DISABLE COMMENT 'nightly tidy'
  DO DELETE FROM base WHERE id < 0;
CREATE DEFINER = ${definerAccount} EVENT ev_once ON SCHEDULE AT '2037-06-01 00:00:00' ON COMPLETION PRESERVE ENABLE
  DO UPDATE base SET v = v WHERE id < 0;

CREATE TABLE aria_plain (id INT PRIMARY KEY, msg VARCHAR(50)) ENGINE=Aria;
CREATE TABLE aria_checked (id INT PRIMARY KEY, msg VARCHAR(50)) ENGINE=Aria PAGE_CHECKSUM=1;
CREATE TABLE flat (id INT PRIMARY KEY, note TEXT, KEY flat_note (note(10))) ENGINE=MyISAM;
INSERT INTO aria_plain VALUES (1, 'a'), (2, NULL);
INSERT INTO aria_checked VALUES (1, 'c');
INSERT INTO flat VALUES (1, 'not transactional'), (2, '');

CREATE TABLE fk_parent (id INT PRIMARY KEY, code INT, UNIQUE KEY fk_parent_code (code));
CREATE TABLE fk_child (
  id INT PRIMARY KEY, p1 INT, p2 INT, p3 INT, p4 INT, other INT,
  KEY explicit_other (other),
  CONSTRAINT fk_restrict FOREIGN KEY (p1) REFERENCES fk_parent (id) ON DELETE RESTRICT ON UPDATE RESTRICT,
  CONSTRAINT fk_noaction FOREIGN KEY (p2) REFERENCES fk_parent (id) ON DELETE NO ACTION ON UPDATE NO ACTION,
  CONSTRAINT fk_cascade FOREIGN KEY (p3) REFERENCES fk_parent (id) ON DELETE CASCADE ON UPDATE SET NULL,
  FOREIGN KEY (p4) REFERENCES fk_parent (code) ON DELETE SET NULL
);
ALTER TABLE fk_child ADD KEY later_key (other, id);
INSERT INTO fk_parent VALUES (1, 10), (2, 20);
INSERT INTO fk_child VALUES (1, 1, 2, 1, 10, 7), (2, NULL, NULL, NULL, NULL, NULL);
`

async function seed(database: string, extra = ''): Promise<void> {
  await createDatabase(database)
  await sql(database, NASTY_SCHEMA + EVERY_OBJECT + extra)
}

describe('MariaDB: every object, through every staging and a target, digest for digest', () => {
  let before: Digest

  beforeAll(async () => {
    await sql(null, `CREATE USER ${definerAccount} ACCOUNT LOCK`)
    // The definer may read the live database and the databases that take its place (not staging's nor the shadow's).
    for (const db of [live, `${prefix}_target`]) await sql(null, `GRANT SELECT, UPDATE, DELETE ON ${ident(db)}.* TO ${definerAccount}`)
    await seed(live)
    before = await independentDigest(live)
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    await sql(null, `DROP USER IF EXISTS ${definerAccount}`)
    removeTempDirs()
  })

  it('holds what the suite means to carry (the digest sees it)', () => {
    expect(before.sequences).toEqual({
      s_opts: JSON.stringify(['150', '1', '100000', '100', '5', '10', '0', '0']),
      s_down: expect.stringMatching(/^\["-4","-1000","-1","-1","-1","3","1","0"\]$/),
      ticket_seq: expect.any(String),
    })
    expect(before.catalog.events).toHaveLength(2)
    expect(before.catalog.foreignKeys!.join('\n')).toMatch(/fk_restrict.*RESTRICT.*RESTRICT/)
    expect(before.catalog.tables!.find((t) => t.includes('"aria_plain"'))).toContain('"transactional=1"')
    expect(before.dump).toContain('KEY `fk_restrict` (`p1`)')
  })

  it('warns before the run that the MyISAM and Aria tables are not transactional', async () => {
    const dir = tempDir('every-plan')
    const result = await preflight(configIn(dir, { source: myUrl(live), staging: myUrl(`${prefix}_plan`), migrate: [] }), mysqlDriver, { jobs: 2, throwOnFail: false })
    const check = result.checks.find((c) => c.id === 'source.transactional')!
    expect(check).toMatchObject({ status: 'warn', code: 'DD_PREFLIGHT_NON_TRANSACTIONAL' })
    expect(check.detail).toContain('`flat` (MyISAM)')
    expect(check.detail).toContain('`aria_plain` (Aria)')
    expect(check.detail).toContain('the write fence proves')
  })

  const runs: [string, (dir: string) => Record<string, unknown>, string][] = [
    ['ephemeral staging, in place', () => ({ staging: 'ephemeral' }), live],
    ['URL staging, in place', () => ({ staging: myUrl(`${prefix}_stg`) }), live],
    ['URL staging into a separate target', () => ({ staging: myUrl(`${prefix}_stg2`), target: myUrl(`${prefix}_target`) }), `${prefix}_target`],
  ]
  it.each(runs)('%s: the result is the original, digest for digest', async (_name, where, result) => {
    const dir = tempDir('every')
    writeFile(dir, 'nothing.sql', 'DO 0;\n')
    // The afterMigrate hook makes every table go through staging and the copy (none is kept live).
    const config = configIn(dir, { source: myUrl(live), ...where(dir), migrate: [{ sql: 'nothing.sql' }], hooks: { afterMigrate: 'true' } })
    const run = await runUpgrade(config, RUN_OPTIONS)
    expect(readReport(run.runDir).verdict).toBe('verified')
    const warnings = readFileSync(runPaths(run.runDir).events, 'utf8').split('\n').filter((line) => line.includes('"kind":"warning"'))
    expect(warnings.join('\n')).toMatch(/"stage":"preflight".*`flat` \(MyISAM\).*DD_PREFLIGHT_NON_TRANSACTIONAL/)
    const after = await independentDigest(result)
    expect(after.dump).toBe(before.dump)
    expect(after.catalog).toEqual(before.catalog)
    expect(after.sequences).toEqual(before.sequences)
    expect(after.checksums).toEqual(before.checksums)
    // The views work for their definer and for the invoker.
    expect(await sql(result, 'SELECT COUNT(*) AS n FROM v_definer')).toEqual([{ n: '2' }])
    expect(await sql(result, 'SELECT COUNT(*) AS n FROM v_invoker')).toEqual([{ n: '2' }])
  })

  it('refuses a database with a system-versioned table up front, naming it, and changes nothing', async () => {
    const db = `${prefix}_hist`
    await seed(db, 'CREATE TABLE priced (id INT PRIMARY KEY, price DECIMAL(8,2)) WITH SYSTEM VERSIONING; INSERT INTO priced VALUES (1, 9.5); UPDATE priced SET price = 10;')
    const original = await independentDigest(db)
    const databases = await databasesWithPrefix(prefix)
    const dir = tempDir('every-hist')
    writeFile(dir, 'nothing.sql', 'DO 0;\n')
    for (const target of [{}, { target: myUrl(`${prefix}_hist_target`) }]) {
      const config = configIn(dir, { source: myUrl(db), staging: myUrl(`${prefix}_hist_stg`), ...target, migrate: [{ sql: 'nothing.sql' }] })
      const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_PREFLIGHT_VERSIONED')
      expect(error.message).toContain('system-versioned table(s) `priced`')
      expect(error.ctx.hint).toMatch(/DROP SYSTEM VERSIONING/)
    }
    expect(await independentDigest(db)).toEqual(original)
    expect(await databasesWithPrefix(prefix)).toEqual(databases)
  })
})
