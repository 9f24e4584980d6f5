/**
 * The nasty-value tables (every MariaDB type that matters, odd names, counters, a sequence, keys,
 * views, a trigger, routines) that the exact round-trip suites load: `NASTY_SCHEMA`.
 */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex')

// String.raw keeps the backslashes for the server's own escapes; ~ stands for a backtick.
export const NASTY_SCHEMA = String.raw`
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

