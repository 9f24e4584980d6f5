import type pg from 'pg'
import type { PartBasis, PartRange, TableInfo, TableRef } from '../driver.ts'
import { qualify, quoteIdent } from './postgres-connect.ts'
import { INTEGER_KEY_TYPES, KEY_TYPE_SQL } from './postgres-checksum.ts'

const PAGES_SQL = `
SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::bigint)::text AS pages,
       current_setting('server_version_num')::int AS version`

/**
 * A single-column integer primary key splits by key; any other table (or any table, when pages
 * are preferred) by heap pages: TID range scans, PostgreSQL 14+; older servers move it whole.
 */
export async function pgPartBasis(client: pg.Client, table: TableInfo, prefer: 'key' | 'pages' = 'key'): Promise<PartBasis | null> {
  const { rows } = await client.query(PAGES_SQL, [qualify(table)])
  const pages: PartBasis | null = rows[0].version < 140000 ? null : { kind: 'pages', pages: Number(rows[0].pages) }
  if (prefer === 'pages' && pages) return pages
  if (table.primaryKey.length === 1) {
    const column = table.primaryKey[0]!
    const { rows: types } = await client.query(KEY_TYPE_SQL, [qualify(table), column])
    if (INTEGER_KEY_TYPES.includes(types[0]?.type)) {
      const k = quoteIdent(column)
      const bounds = await client.query(`SELECT min(${k})::text AS min, max(${k})::text AS max FROM ONLY ${qualify(table)}`)
      const { min, max } = bounds.rows[0]
      return min === null ? null : { kind: 'key', column, min, max }
    }
  }
  return pages
}

const integer = (value: string) => {
  if (!/^-?\d+$/.test(value)) throw new Error(`not an integer key bound: ${value}`)
  return value
}

/** The WHERE condition of one part, over the alias `dd_row`; literals, since COPY takes no parameters. */
export function partCondition(range: PartRange): string {
  const parts: string[] = []
  if (range.kind === 'key') {
    const k = `dd_row.${quoteIdent(range.column)}`
    if (range.from !== null) parts.push(`${k} >= ${integer(range.from)}`)
    if (range.to !== null) parts.push(`${k} < ${integer(range.to)}`)
  } else {
    if (range.from > 0) parts.push(`dd_row.ctid >= '(${Math.trunc(range.from)},0)'::tid`)
    if (range.to !== null) parts.push(`dd_row.ctid < '(${Math.trunc(range.to)},0)'::tid`)
  }
  return parts.length > 0 ? parts.join(' AND ') : 'true'
}

const COPY_COLUMNS_SQL = `
SELECT a.attname AS name FROM pg_attribute a
 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
 ORDER BY a.attnum`

/** The COPY TO of one part: the same columns and text as `COPY table TO STDOUT` (generated ones left out). */
export async function copyPartSql(client: pg.Client, table: TableRef, range: PartRange): Promise<string> {
  const { rows } = await client.query(COPY_COLUMNS_SQL, [qualify(table)])
  const columns = rows.map((r) => `dd_row.${quoteIdent(r.name)}`).join(', ')
  return `COPY (SELECT ${columns} FROM ONLY ${qualify(table)} AS dd_row WHERE ${partCondition(range)}) TO STDOUT`
}
