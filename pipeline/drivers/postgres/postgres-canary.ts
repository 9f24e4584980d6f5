/**
 * The PostgreSQL canary table: values that break naive dump/load paths. The SQL is ASCII
 * (E'' and U&'' escapes) so that no client encoding can bend it on the way in.
 */
import type { CanaryTable } from '../../safety/canary/canary-types.ts'

const COLUMNS: CanaryTable['columns'] = [
  { name: 'id', type: 'integer' },
  { name: 'tstz', type: 'timestamp with time zone' },
  { name: 'ts', type: 'timestamp without time zone' },
  { name: 'd', type: 'date' },
  { name: 't', type: 'time without time zone' },
  { name: 'ttz', type: 'time with time zone' },
  { name: 'iv', type: 'interval' },
  { name: 'r', type: 'real' },
  { name: 'dp', type: 'double precision' },
  { name: 'n', type: 'numeric' },
  { name: 'n30', type: 'numeric(40,30)' },
  { name: 'txt', type: 'text' },
  { name: 'vc', type: 'character varying(40)' },
  { name: 'ch', type: 'character(8)' },
  { name: 'b', type: 'bytea' },
  { name: 'j', type: 'json' },
  { name: 'jb', type: 'jsonb' },
  { name: 'mood', type: 'canary_mood (enum)' },
  { name: 'tarr', type: 'text[]' },
  { name: 'iarr', type: 'integer[]' },
  { name: 'flag', type: 'boolean' },
  { name: 'u', type: 'uuid' },
  { name: 'ip', type: 'inet' },
  { name: 'rng', type: 'tstzrange' },
  { name: 'bits', type: 'bit varying(16)' },
  { name: 'big', type: 'bigint' },
  { name: 'sm', type: 'smallint' },
]

const ALL_BYTES = "(SELECT decode(string_agg(lpad(to_hex(i), 2, '0'), '' ORDER BY i), 'hex') FROM generate_series(0, 255) i)"
// Every control character but NUL, and the characters COPY text escapes.
const CONTROLS = "(SELECT string_agg(chr(i), '' ORDER BY i) FROM generate_series(1, 31) i) || chr(127) || E'\\\\ back\\\\slash'"

/** `major`: the server's major version (numeric ±Infinity needs 14). */
export function postgresCanary(major: number): CanaryTable {
  const numericInf = major >= 14 ? "'Infinity'" : "'1e100'"
  const sql = String.raw`
SET client_encoding = 'UTF8';
SET TimeZone = 'UTC';
CREATE TYPE canary_mood AS ENUM ('sad', 'ok', U&'tr\00e8s "content"', 'with space ', '');
CREATE TABLE canary (
  id int PRIMARY KEY,
  tstz timestamptz, ts timestamp, d date, t time, ttz timetz, iv interval,
  r real, dp double precision, n numeric, n30 numeric(40, 30),
  txt text, vc varchar(40), ch char(8), b bytea, j json, jb jsonb, mood canary_mood,
  tarr text[], iarr int[], flag boolean, u uuid, ip inet, rng tstzrange, bits bit varying(16), big bigint, sm smallint
);
INSERT INTO canary VALUES
 (1, '2024-03-10 01:59:59.999999 America/New_York', '2024-03-31 02:30:00', '0044-03-15 BC', '24:00:00', '23:59:59.999999+14:59',
  '1 year 2 mons -3 days 04:05:06.789', 'NaN', 'Infinity', 'NaN', '0.000000000000000000000000000001',
  ${CONTROLS} || E'\ttab\nnewline\r\ncrlf', 'trailing  ', 'ab', ${ALL_BYTES},
  '{"b": 1,   "a":[1, 2.50, "x"],"a" : null }', '{"b": 1, "a": [1, 2.50, "\u00e9"], "n": 1.0e2}', U&'tr\00e8s "content"',
  ARRAY['', NULL, 'a,b', '{}', '"q"', E'back\\slash', 'NULL', ' spaced '], '[0:2]={1,2,3}', true,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '::ffff:1.2.3.4', '[2024-01-01 00:00+00,infinity)', B'1010', -9223372036854775808, -32768),
 (2, '2024-11-03 01:30:00 America/New_York', 'infinity', '-infinity', '00:00:00', '00:00:00-15:59',
  '-00:00:00.000001', '-Infinity', '-0', ${numericInf}, '-0.71',
  U&'emoji \+01F600 \+01D11E combining e\0301 rtl \05D0\05D1 bom \FEFF end', '', '', '',
  '[]', '{}', '', '{}', '{{1,2},{3,4}}', false,
  '00000000-0000-0000-0000-000000000000', '10.0.0.0/8', 'empty', B'', 9223372036854775807, 32767),
 (3, '2024-10-27 02:30:00 Europe/Berlin', '1999-12-31 23:59:59.999999', '2000-02-29', '12:34:56.789012', '12:00:00+05:45',
  '1000000 years', '3.4028235e38', '5e-324', '123456789012345678901234567890.123456789012345678901234567890', '0.710000000000000000000000000000',
  E'\\.', E'line1\nline2\r\n', 'x', '\x5c2e0a',
  '{"nul": "\u0000", "esc": "\"\\\/\b\f\n\r\t"}', '{"deep": {"a": [[], {}, null, true, -0.0]}}', 'with space ',
  ARRAY[E'tab\there', E'nl\nthere'], '{-2147483648,2147483647,NULL}', NULL,
  NULL, '2001:db8::1/64', '(,)', B'1111111111111111', 0, 0),
 (4, '1900-01-01 00:00:00 Asia/Kolkata', '0001-01-01 00:00:00', '5874897-12-31', '00:00:00.000001', '24:00:00+00',
  '-178000000 years', '1.17549435e-38', '1.7976931348623157e308', '-0.000000000000000000000000000000000001', '1e-30',
  ' leading and trailing ', ' ', '  ', '\x00',
  'null', 'null', 'sad', ARRAY[NULL]::text[], '{}', true,
  NULL, '0.0.0.0/0', '[2024-04-07 01:45:00 Australia/Lord_Howe,2024-04-07 02:15:00 Australia/Lord_Howe)', B'0', 1, 1),
 (5, '2024-04-07 01:45:00 Australia/Lord_Howe', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  '', '', '', '', '""', '""', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
`
  return { schema: 'public', name: 'canary', columns: COLUMNS, sql }
}
