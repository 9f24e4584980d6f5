/**
 * Locating differing rows by primary-key order on MySQL/MariaDB (`--verify --locate`), as
 * postgres-locate.ts: spans between keys, their checksums, cut points and rows. Keys travel as
 * text (binary ones as hex); integers come back as exact DECIMAL, never as a double.
 */
import type { KeySpan, TableChecksum, TableRef } from '../driver.ts'
import { checksumSql } from './mysql-checksum.ts'
import { dumpExpression, tableColumns } from './mysql-columns.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'

const INTEGERS = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint'])
const BINARIES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob'])

interface KeyColumn { readonly read: string; readonly param: string }

async function keyColumns(conn: MysqlConn, table: TableRef, key: readonly string[]): Promise<KeyColumn[]> {
  const rows = await conn.query(`SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, [table.name])
  const types = new Map(rows.map((r) => [r.name!, r.type!.toLowerCase()]))
  return key.map((k) => {
    const type = types.get(k) ?? ''
    const c = quoteIdent(k)
    if (INTEGERS.has(type)) return { read: `CAST(${c} AS CHAR)`, param: 'CAST(? AS DECIMAL(65, 0))' }
    if (type === 'decimal') return { read: `CAST(${c} AS CHAR)`, param: 'CAST(? AS DECIMAL(65, 30))' }
    if (BINARIES.has(type)) return { read: `HEX(${c})`, param: 'UNHEX(?)' }
    return { read: `CAST(${c} AS CHAR)`, param: '?' }
  })
}

async function spanWhere(conn: MysqlConn, table: TableRef, key: readonly string[], span: KeySpan): Promise<{ where: string; values: string[] }> {
  const columns = await keyColumns(conn, table, key)
  const row = `(${key.map(quoteIdent).join(', ')})`
  const tuple = `(${columns.map((c) => c.param).join(', ')})`
  const parts = [...(span.from ? [`${row} >= ${tuple}`] : []), ...(span.to ? [`${row} < ${tuple}`] : [])]
  return { where: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', values: [...(span.from ?? []), ...(span.to ?? [])] }
}

export async function checksumSpan(conn: MysqlConn, table: TableRef, key: readonly string[], span: KeySpan): Promise<TableChecksum> {
  const { where, values } = await spanWhere(conn, table, key, span)
  const [row] = await conn.query(checksumSql(table.name, await tableColumns(conn, table), where), values)
  return { rows: Number(row!.rows), digest: row!.digest! }
}

export async function spanBoundaries(conn: MysqlConn, table: TableRef, key: readonly string[], span: KeySpan, parts: number): Promise<string[][]> {
  const { where, values } = await spanWhere(conn, table, key, span)
  const columns = await keyColumns(conn, table, key)
  const rows = await conn.query(`SELECT ${key.map((_, i) => `dd_k${i}`).join(', ')} FROM (
      SELECT ${columns.map((c, i) => `${c.read} AS dd_k${i}`).join(', ')},
             ROW_NUMBER() OVER (ORDER BY ${key.map(quoteIdent).join(', ')}) AS dd_n, COUNT(*) OVER () AS dd_total
        FROM ${quoteIdent(table.name)}${where}) s
     WHERE dd_n > 1 AND MOD(dd_n - 1, FLOOR((dd_total + ${parts - 1}) / ${parts})) = 0 ORDER BY dd_n`, values)
  return rows.map((r) => key.map((_, i) => String(r[`dd_k${i}`])))
}

export async function rowsInSpan(conn: MysqlConn, table: TableRef, key: readonly string[], span: KeySpan, limit: number): Promise<Record<string, string | null>[]> {
  const { where, values } = await spanWhere(conn, table, key, span)
  const columns = await tableColumns(conn, table)
  const keys = await keyColumns(conn, table, key)
  // Key columns as the span's bounds spell them; the others in their dump text, so equal values compare equal.
  const list = columns.map((c) => {
    const at = key.indexOf(c.name)
    const value = c.kind === 'binary' ? `HEX(${quoteIdent(c.name)})` : `CAST(${dumpExpression(c)} AS CHAR)`
    return `${at >= 0 ? keys[at]!.read : value} AS ${quoteIdent(c.name)}`
  })
  const rows = await conn.query(`SELECT ${list.join(', ')} FROM ${quoteIdent(table.name)}${where}
    ORDER BY ${key.map(quoteIdent).join(', ')} LIMIT ${Math.max(1, Math.floor(limit))}`, values)
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('hex') : String(v)])))
}
