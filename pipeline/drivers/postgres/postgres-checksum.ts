/**
 * Per table: the row count and the exact sum of a 64-bit slice of md5 over each row's text.
 * A sum (unlike XOR) does not cancel duplicate rows, and it does not depend on row order.
 * ONLY: rows of inheritance children belong to the children's own checksums.
 * The row text is canonical because every drydock session pins TimeZone, DateStyle,
 * IntervalStyle, extra_float_digits and bytea_output (postgres-connect.ts).
 */
export function checksumSql(qualifiedTable: string): string {
  return `SELECT count(*)::text AS rows,
       coalesce(sum(('x' || left(md5(ROW(dd_row.*)::text), 16))::bit(64)::bigint::numeric), 0)::text AS digest
  FROM ONLY ${qualifiedTable} AS dd_row`
}
