/**
 * Locating differing rows by primary-key order (`--verify --locate`): spans of rows between two
 * keys (any key: composite, text, uuid, …), their checksums, the keys that cut a span in equal
 * runs, and the rows of a small span. Keys travel as the columns' text output and come back in
 * as `$n::type`, so every type round-trips exactly.
 */
import type pg from 'pg'
import type { KeySpan, TableChecksum, TableRef } from '../driver.ts'
import { qualify, quoteIdent } from './postgres-connect.ts'
import { checksumColumns, checksumSql } from './postgres-checksum.ts'

const TEXT_VALUES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig

async function keyTypes(client: pg.Client, table: TableRef, key: readonly string[]): Promise<string[]> {
  const { rows } = await client.query(`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attname = ANY($2) AND a.attnum > 0 AND NOT a.attisdropped`, [qualify(table), key])
  const byName = new Map(rows.map((r) => [r.name as string, r.type as string]))
  return key.map((k) => byName.get(k)!)
}

/** `(k1, k2) >= ($1::t1, $2::t2) AND (k1, k2) < (…)` and its values; empty for the whole table. */
async function spanWhere(client: pg.Client, table: TableRef, key: readonly string[], span: KeySpan): Promise<{ where?: string; values: string[] }> {
  const types = await keyTypes(client, table, key)
  const columns = `(${key.map((k) => `dd_row.${quoteIdent(k)}`).join(', ')})`
  const values: string[] = []
  const tuple = (keyValues: readonly string[]) => `(${keyValues.map((v, i) => { values.push(v); return `$${values.length}::${types[i]}` }).join(', ')})`
  const parts = [
    ...(span.from ? [`${columns} >= ${tuple(span.from)}`] : []),
    ...(span.to ? [`${columns} < ${tuple(span.to)}`] : []),
  ]
  return parts.length ? { where: parts.join(' AND '), values } : { values }
}

export async function checksumSpan(client: pg.Client, table: TableRef, key: readonly string[], span: KeySpan): Promise<TableChecksum> {
  const { where, values } = await spanWhere(client, table, key, span)
  const { rows } = await client.query(checksumSql(qualify(table), await checksumColumns(client, qualify(table)), where), values)
  return { rows: Number(rows[0].rows), digest: rows[0].digest }
}

export async function spanBoundaries(client: pg.Client, table: TableRef, key: readonly string[], span: KeySpan, parts: number): Promise<string[][]> {
  const { where, values } = await spanWhere(client, table, key, span)
  const keys = key.map((k) => `dd_row.${quoteIdent(k)}`).join(', ')
  const text = `SELECT ${key.map((_, i) => `dd_k${i}::text`).join(', ')} FROM (
      SELECT ${key.map((k, i) => `dd_row.${quoteIdent(k)} AS dd_k${i}`).join(', ')},
             row_number() OVER (ORDER BY ${keys}) AS dd_n, count(*) OVER () AS dd_total
        FROM ONLY ${qualify(table)} AS dd_row${where ? ` WHERE ${where}` : ''}) s
     WHERE dd_n > 1 AND (dd_n - 1) % ((dd_total + ${parts - 1}) / ${parts}) = 0 ORDER BY dd_n`
  const { rows } = await client.query({ text, values, rowMode: 'array', types: TEXT_VALUES })
  return rows as string[][]
}

export async function rowsInSpan(client: pg.Client, table: TableRef, key: readonly string[], span: KeySpan, limit: number): Promise<Record<string, string | null>[]> {
  const { where, values } = await spanWhere(client, table, key, span)
  const order = key.map((k) => `dd_row.${quoteIdent(k)}`).join(', ')
  const text = `SELECT * FROM ONLY ${qualify(table)} AS dd_row${where ? ` WHERE ${where}` : ''} ORDER BY ${order} LIMIT ${Math.max(1, Math.floor(limit))}`
  const { rows } = await client.query({ text, values, types: TEXT_VALUES })
  return rows
}
