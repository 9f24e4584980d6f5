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
import { parseEndpoint } from '../../pipeline/endpoint.ts'
import { ManifestStore } from '../../pipeline/run-dir.ts'
import { runUpgrade } from '../../pipeline/run.ts'
import { rollbackRun } from '../../pipeline/swap/swap-stage.ts'
import { configIn, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import {
  autoIncrement, createDatabase, databaseExists, databasesWithPrefix, databaseState, dropDatabasesWithPrefix, myUrl, rowsAsText, sql, uniquePrefix,
} from '../helpers/mysql.ts'

const prefix = uniquePrefix('types')
const live = `${prefix}_live`

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex')

// String.raw keeps the backslashes for the server's own escapes; ~ stands for a backtick.
const SCHEMA = String.raw`
CREATE TABLE numbers (
  id INT PRIMARY KEY, u_big BIGINT UNSIGNED, s_big BIGINT, dec65 DECIMAL(65,30), f FLOAT, d DOUBLE,
  tiny TINYINT, yr YEAR, bits BIT(64), few_bits BIT(3)
);
INSERT INTO numbers VALUES
  (1, 18446744073709551615, -9223372036854775808, '99999999999999999999999999999999999.999999999999999999999999999999',
   1.2345678, 0.1e0 + 0.2e0, -128, 1901, b'1111111111111111111111111111111111111111111111111111111111111111', b'101'),
  (2, 0, 9223372036854775807, '-0.000000000000000000000000000001', 3.4028234e38, 1.7976931348623157e308, 127, 2155, 0, 0),
  (3, NULL, NULL, NULL, 1e-45, 4.9e-324, NULL, 0, NULL, NULL),
  (4, 1, -1, 0, -0.0, -0.0e0, 0, 2024, b'1', b'111');

CREATE TABLE times (
  id INT PRIMARY KEY, dt DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6), day DATE, dt0 DATETIME
);
INSERT INTO times VALUES
  (1, '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', '-838:59:59.000000', '1000-01-01', '2024-02-29 12:00:00'),
  (2, '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '838:59:59.000000', '9999-12-31', '1999-12-31 23:59:59'),
  (3, '0000-00-00 00:00:00.000000', NULL, '-00:00:00.000001', '0000-00-00', '0000-00-00 00:00:00'),
  (4, NULL, '2024-03-31 01:30:00.123456', '00:00:00.000000', NULL, NULL);

CREATE TABLE texts (
  id INT AUTO_INCREMENT PRIMARY KEY,
  t TEXT, vc VARCHAR(100), ch CHAR(5), lat VARCHAR(20) CHARACTER SET latin1,
  en ENUM('a', 'b', 'c d', 'é'), st SET('x', 'y', 'z'), j JSON,
  b BLOB, vb VARBINARY(16), bin BINARY(4),
  gen_len INT AS (CHAR_LENGTH(t)) VIRTUAL, gen_up VARCHAR(100) AS (UPPER(vc)) STORED,
  KEY texts_vc (vc)
);
INSERT INTO texts (id, t, vc, ch, lat, en, st, j, b, vb, bin) VALUES
  (1, 'tab\there, new\nline, cr\r\nlf, back\\slash, "double", ''single''', '\\N', 'ab', 'café € ÿ', 'é', 'x,z',
   '{"a": [1, 2.5, "x\\"y"], "b": null, "é": "😀"}', UNHEX('${ALL_BYTES}'), 0x610000, 0x61),
  (2, '', '', '', '', 'a', '', '[]', '', '', ''),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 'NULL', 'N', 'NULL', 'NULL', 'c d', 'x,y,z', '"just a string"', 0x00, 0x00, 0x00000000),
  (5, '😀🚀 emoji, 日本語, Ελληνικά', ',', '"', '\\', 'b', 'y', '{}', 0x2c0a22, 0x5c4e, 0x0d0a0d0a),
  (6, 'nul \0 inside', '"",""', ',,', 'x\ty', 'a', 'z', '1', 0xff, 0xffff, 0xffffffff);

CREATE TABLE nopk (a INT, b VARCHAR(10));
INSERT INTO nopk VALUES (1, 'one'), (1, 'one'), (2, NULL), (NULL, NULL);

CREATE TABLE composite (a INT, b VARCHAR(20), c TEXT, PRIMARY KEY (a, b));
INSERT INTO composite VALUES (1, 'x', 'first'), (1, 'y', 'second'), (2, 'x', NULL);

CREATE TABLE wide (id INT PRIMARY KEY, body LONGTEXT, blobby LONGBLOB);
INSERT INTO wide VALUES (1, REPEAT('all work and no play, "quoted", and a \\ backslash\n', 100000), REPEAT(UNHEX('${ALL_BYTES}'), 12000));

CREATE TABLE empty_one (id INT PRIMARY KEY, x INT);

CREATE TABLE ~order~ (id INT AUTO_INCREMENT PRIMARY KEY, ~select~ VARCHAR(10));
INSERT INTO ~order~ (~select~) VALUES ('from'), ('where');
CREATE TABLE ~my-table~ (id INT PRIMARY KEY, ~weird ~~col~~ name~ TEXT);
INSERT INTO ~my-table~ VALUES (1, 'ok');
CREATE TABLE ~tâble~ (id INT PRIMARY KEY, ~ünï~ VARCHAR(10));
INSERT INTO ~tâble~ VALUES (1, 'ço');

CREATE TABLE counters (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(10));
INSERT INTO counters (note) VALUES ('a'), ('b'), ('c'), ('d'), ('e');
DELETE FROM counters WHERE id >= 4;

CREATE SEQUENCE ticket_seq START WITH 100 NOCACHE;
CREATE TABLE tickets (id INT DEFAULT NEXTVAL(ticket_seq) PRIMARY KEY, t VARCHAR(10));
INSERT INTO tickets (t) VALUES ('a'), ('b');

CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(20), UNIQUE KEY parent_name (name));
CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id));
INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');
INSERT INTO child VALUES (10, 1), (11, 2), (12, NULL);
CREATE VIEW child_names AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.parent_id;
CREATE VIEW child_count AS SELECT COUNT(*) AS n FROM child_names;
CREATE TRIGGER parent_upper BEFORE INSERT ON parent FOR EACH ROW SET NEW.name = UPPER(NEW.name);
CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
CREATE PROCEDURE count_children(OUT n INT) SELECT COUNT(*) INTO n FROM child;
`.replace(/~/g, '`')

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
