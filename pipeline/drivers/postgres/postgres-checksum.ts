import type pg from 'pg'
import { quoteIdent } from './postgres-connect.ts'

/** A column as the checksum treats it: `wide` values are hashed on their own (see checksumSql). */
export interface ChecksumColumn {
  readonly name: string
  readonly wide: boolean
}

/**
 * Every column in definition order (generated ones included, as in `ROW(t.*)`). Wide: the
 * variable-length types whose values may be long (text, varchar, bytea, json, jsonb, xml,
 * arrays, …), except numeric (short) and bpchar (whose cast to text would drop its padding).
 */
const COLUMNS_SQL = `
SELECT a.attname AS name,
       (t.typlen = -1 AND t.typcategory <> 'N' AND coalesce(nullif(t.typbasetype, 0), t.oid) <> 'bpchar'::regtype) AS wide
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`

export async function checksumColumns(client: pg.Client, qualifiedTable: string): Promise<ChecksumColumn[]> {
  const { rows } = await client.query(COLUMNS_SQL, [qualifiedTable])
  return rows.map((r) => ({ name: r.name, wide: r.wide }))
}

const hash = (text: string) => `hashtextextended(${text} COLLATE "C", 0)`

/**
 * Per table: the row count and the exact sum (numeric, no overflow) of a 64-bit hash of each
 * row's canonical text. The row text is `ROW(<the other columns>)::text`, then `:`, then for
 * each wide column its own 64-bit hash (empty for NULL), comma-separated; the row hash is
 * `hashtextextended` of that text. `hashtextextended` is PostgreSQL's own 64-bit hash of a
 * text's bytes (lookup3, the function behind hash indexes and hash partitioning; PostgreSQL 11+):
 * deterministic, the same on every server of a major version and byte order (unchanged since 11),
 * and under COLLATE "C" no collation (a case-insensitive one) can change it. Hashing a long value
 * where it lies spares record_out's quoting scan and copy of it: half the CPU of hashing the
 * whole `ROW(t.*)::text` on text-heavy tables, and about a third of the former md5 of it.
 * Canonical: every value is its type's text output (under the session settings pinned in
 * postgres-connect.ts; wide ones by their cast to text), NULL is told apart from '' in both
 * parts, the parts and the order of columns are fixed, and the hash of the row text mixes all
 * of it non-linearly, so values swapped between rows change the sum. A sum (unlike XOR) does
 * not cancel duplicate rows and does not depend on row order. ONLY: rows of inheritance
 * children belong to the children's own checksums. It detects accidental change with the
 * strength of a 64-bit hash; it is not a cryptographic digest.
 */
export function checksumSql(qualifiedTable: string, columns: readonly ChecksumColumn[], where?: string): string {
  return checksumOverSql(`ONLY ${qualifiedTable} AS dd_row`, columns, where)
}

/** The same checksum over any FROM item that names its rows `dd_row` (a query's result, postgres-matviews.ts). */
export function checksumOverSql(from: string, columns: readonly ChecksumColumn[], where?: string): string {
  return `SELECT count(*)::text AS rows,
       coalesce(sum(${rowHash(columns)}), 0)::text AS digest
  FROM ${from}${where ? `\n WHERE ${where}` : ''}`
}

function rowHash(columns: readonly ChecksumColumn[]): string {
  const col = (c: ChecksumColumn) => `dd_row.${quoteIdent(c.name)}`
  const narrow = columns.filter((c) => !c.wide).map(col)
  const wide = columns.filter((c) => c.wide).map((c) => hash(`${col(c)}::text`))
  return hash(`concat(ROW(${narrow.join(', ')})::text, ':'${wide.map((w, i) => `${i ? ", ','" : ''}, ${w}`).join('')})`)
}

/**
 * The same checksum per key range in one scan: `width_bucket` of the integer key over the
 * ranges' lower bounds ($1, ascending) numbers the rows' range (0: below the first bound), so
 * that a table's refresh parts cost one sequential scan instead of an index scan each.
 */
export function bucketChecksumSql(qualifiedTable: string, columns: readonly ChecksumColumn[], key: string, where?: string): string {
  return `SELECT width_bucket(dd_row.${quoteIdent(key)}::bigint, $1::bigint[]) AS bucket, count(*)::text AS rows,
       coalesce(sum(${rowHash(columns)}), 0)::text AS digest
  FROM ONLY ${qualifiedTable} AS dd_row${where ? `\n WHERE ${where}` : ''}
 GROUP BY 1`
}

export const INTEGER_KEY_TYPES = ['smallint', 'integer', 'bigint']

export const KEY_TYPE_SQL = `
SELECT format_type(a.atttypid, NULL) AS type
  FROM pg_attribute a
 WHERE a.attrelid = $1::regclass AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`

/** The name of this checksum in the manifest: a change to the row text or the hash is a new version. */
export const POSTGRES_CHECKSUM_ALGORITHM = 'postgres-hashtextextended-sum-v1'
