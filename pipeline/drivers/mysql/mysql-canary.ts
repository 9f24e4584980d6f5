/**
 * The MySQL/MariaDB canary table: values that break naive dump/load paths. The script is
 * ASCII (hex literals and _utf8mb4 introducers) so that the client's character set cannot
 * bend it; zero dates only go in where the session's sql_mode (the source's) allows them.
 */
import type { CanaryTable } from '../../safety/canary/canary-types.ts'

const COLUMNS: CanaryTable['columns'] = [
  { name: 'id', type: 'int' },
  { name: 'd', type: 'date' },
  { name: 'dt', type: 'datetime(6)' },
  { name: 'ts', type: 'timestamp(6)' },
  { name: 'tm', type: 'time(6)' },
  { name: 'y', type: 'year' },
  { name: 'dec65', type: 'decimal(65,30)' },
  { name: 'f', type: 'float' },
  { name: 'dbl', type: 'double' },
  { name: 'bu', type: 'bigint unsigned' },
  { name: 'bs', type: 'bigint' },
  { name: 'ti', type: 'tinyint' },
  { name: 'b64', type: 'bit(64)' },
  { name: 'b1', type: 'bit(1)' },
  { name: 'st', type: "set('a','b c','\u00e9','x')" },
  { name: 'en', type: "enum('','x','\u00e9','with space ')" },
  { name: 'j', type: 'json' },
  { name: 'vb', type: 'varbinary(300)' },
  { name: 'bl', type: 'blob' },
  { name: 'bin', type: 'binary(4)' },
  { name: 'l1', type: 'varchar(50) character set latin1' },
  { name: 'u8', type: 'varchar(50) character set utf8mb4' },
  { name: 'ch', type: 'char(10)' },
  { name: 'vc', type: 'varchar(20)' },
  { name: 'tx', type: 'text' },
]

const ALL_BYTES = `0x${Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join('')}`
const utf8 = (text: string) => `_utf8mb4 0x${Buffer.from(text, 'utf8').toString('hex')}`
// Every control character but NUL, and the characters the CSV format quotes or escapes.
const CONTROLS = utf8(`${Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('')}\x7f \\ back\\slash "q" a,b NULL \\N`)
const ZERO_DATES_ALLOWED = "@@SESSION.sql_mode NOT LIKE '%NO_ZERO_DATE%' AND @@SESSION.sql_mode NOT LIKE '%NO_ZERO_IN_DATE%'"

export function mysqlCanary(): CanaryTable {
  const sql = `
SET NAMES utf8mb4;
SET time_zone = '+00:00';
CREATE TABLE canary (
  id INT NOT NULL PRIMARY KEY,
  d DATE NULL, dt DATETIME(6) NULL, ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6) NULL, y YEAR NULL,
  dec65 DECIMAL(65,30) NULL, f FLOAT NULL, dbl DOUBLE NULL, bu BIGINT UNSIGNED NULL, bs BIGINT NULL, ti TINYINT NULL,
  b64 BIT(64) NULL, b1 BIT(1) NULL,
  st SET('a', 'b c', '\u00e9', 'x') NULL, en ENUM('', 'x', '\u00e9', 'with space ') NULL,
  j JSON NULL, vb VARBINARY(300) NULL, bl BLOB NULL, bin BINARY(4) NULL,
  l1 VARCHAR(50) CHARACTER SET latin1 NULL, u8 VARCHAR(50) CHARACTER SET utf8mb4 NULL,
  ch CHAR(10) NULL, vc VARCHAR(20) NULL, tx TEXT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO canary VALUES
 (1, '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01.000000', '-838:59:59.000000', 1901,
  '99999999999999999999999999999999999.999999999999999999999999999999', 3.40282e38, 1.7976931348623157e308,
  18446744073709551615, -9223372036854775808, -128, b'1111111111111111111111111111111111111111111111111111111111111111', b'1',
  'a,b c', 'with space ', '{"b": 1,   "a": [1, 2.50, "x"], "z": null}', ${ALL_BYTES}, ${ALL_BYTES}, 0x00000000,
  ${utf8('caf\u00e9 \u00ff \u00bd')}, ${utf8('\u{1F600} \u{1D11E} e\u0301 \u05d0')}, 'ab  ', 'ab  ', ${CONTROLS}),
 (2, NULL, NULL, NULL, '838:59:59.000000', 2155,
  '-0.000000000000000000000000000001', -1.17549e-38, 5e-324, 0, 9223372036854775807, 127, b'0', b'0',
  '', '', '[]', '', '', 0x41, '', '', '', '', ''),
 (3, '2024-02-29', '2038-01-19 03:14:07.999999', '2038-01-19 03:14:07.999999', '00:00:00.000001', 2000,
  '0.710000000000000000000000000000', 0.71, 0.1, 1, 0, 0, b'1000000000000000000000000000000000000000000000000000000000000000', NULL,
  ${utf8('\u00e9,x')}, ${utf8('\u00e9')}, ${utf8('{"\u00e9": "\\u00e9\\n\\"", "deep": {"a": [[], {}, null, true, -0.0, 1e2]}}')}, 0x5c4e0a2c22, 0x00, 0x20202020,
  ${utf8('"\' \\ ,')}, ${utf8(' leading and trailing ')}, ' x', ' x ', ${utf8('\\.\nline2\r\n"quoted","csv"')}),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'x', 'x', '"NULL"', NULL, NULL, NULL, 'NULL', '\\\\N', 'NULL', 'NULL', 'NULL');
UPDATE canary SET d = '0000-00-00', dt = '0000-00-00 00:00:00.000000', ts = '0000-00-00 00:00:00.000000' WHERE id = 2 AND ${ZERO_DATES_ALLOWED};
UPDATE canary SET d = '2024-00-10', dt = '2024-02-00 12:00:00.000000' WHERE id = 5 AND ${ZERO_DATES_ALLOWED};
`
  return { schema: '', name: 'canary', columns: COLUMNS, sql }
}
