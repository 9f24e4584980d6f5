/**
 * Per table: the row count and the exact sum of a 64-bit slice of md5 over each row's text.
 * A sum (unlike XOR) does not cancel duplicate rows, and it does not depend on row order.
 * ONLY: rows of inheritance children belong to the children's own checksums.
 * The row text is canonical because every drydock session pins TimeZone, DateStyle,
 * IntervalStyle, extra_float_digits and bytea_output (postgres-connect.ts).
 */
export function checksumSql(qualifiedTable: string, where?: string): string {
  return `SELECT count(*)::text AS rows,
       coalesce(sum(('x' || left(md5(ROW(dd_row.*)::text), 16))::bit(64)::bigint::numeric), 0)::text AS digest
  FROM ONLY ${qualifiedTable} AS dd_row${where ? `\n WHERE ${where}` : ''}`
}

const INT8_MAX = 2n ** 63n - 1n

/**
 * `$1 <= key < $2` over an integer key, compared as bigint so that the key's btree index
 * serves int2/int4/int8 alike. The range past the largest bigint has no upper bound ($2 is
 * then not a bigint and not used).
 */
export function keyRangeSql(quotedKey: string, to: string): string {
  return BigInt(to) > INT8_MAX ? `dd_row.${quotedKey} >= $1::bigint` : `dd_row.${quotedKey} >= $1::bigint AND dd_row.${quotedKey} < $2::bigint`
}

export const INTEGER_KEY_TYPES = ['smallint', 'integer', 'bigint']

export const KEY_TYPE_SQL = `
SELECT format_type(a.atttypid, NULL) AS type
  FROM pg_attribute a
 WHERE a.attrelid = $1::regclass AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`
