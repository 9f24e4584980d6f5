/**
 * Rows as exact values for row transforms (pipeline/migration/transform), read with a streamed SELECT
 * and appended with LOAD DATA LOCAL in the dump file format (mysql-dump.ts):
 *
 * - every value is the server's text (UTC session time zone, utf8mb4, exact DECIMAL and
 *   BIGINT UNSIGNED, DATETIME(6) with its digits, zero dates as printed): a string;
 * - SQL NULL is null, the empty string is '';
 * - BINARY, VARBINARY, BLOB and geometry columns are Buffers of the bytes;
 * - BIT is its unsigned integer as text, FLOAT the value as DOUBLE text (exact), as in dump files;
 * - on the way back a string is the column's text input (for a binary column: its UTF-8
 *   bytes), a Buffer bytes, a bigint (or a safe integer) its decimal text.
 */
import { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import type mysql from 'mysql2'
import { DrydockError } from '../../errors.ts'
import type { ColumnInfo, ReadRowsOptions, RowReader, TableRef } from '../driver.ts'
import { type Column, dumpExpression, tableColumns } from './mysql-columns.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'
import { loadData } from './mysql-infile.ts'
import { RowLineEncoder } from '../../transfer/row-line-encoder.ts'

const INTEGER_TYPES = ['tinyint', 'smallint', 'mediumint', 'int', 'bigint']

/** Columns with their catalog type and how their values travel. */
export async function mysqlColumns(conn: MysqlConn, table: TableRef): Promise<(ColumnInfo & { kind: Column['kind'] })[]> {
  const columns = await tableColumns(conn, table)
  const types = new Map((await conn.query(`
    SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, [table.name])).map((r) => [r.name!, r.type!]))
  return columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? '', binary: c.kind === 'binary', generated: c.generated, kind: c.kind }))
}

function pick<T extends { name: string }>(all: readonly T[], names: readonly string[] | undefined, table: TableRef): T[] {
  if (!names) return [...all]
  return names.map((name) => {
    const column = all.find((c) => c.name === name)
    if (!column) throw new DrydockError('DD_TRANSFORM_FAILED', `table ${table.name} has no column ${name} (it has ${all.map((c) => c.name).join(', ')})`)
    return column
  })
}

function integerLiteral(value: string): string {
  if (!/^-?\d+$/.test(value)) throw new DrydockError('DD_TRANSFORM_FAILED', `key bound ${JSON.stringify(value)} is not an integer`)
  return value
}

export function readRowsSql(table: TableRef, columns: readonly Column[], options: ReadRowsOptions): string {
  const list = columns.map((c) => `${dumpExpression(c)} AS ${quoteIdent(c.name)}`).join(', ')
  const where: string[] = []
  if (options.range) {
    const k = quoteIdent(options.range.key)
    where.push(`${k} >= ${integerLiteral(options.range.from)}`, `${k} < ${integerLiteral(options.range.to)}`)
  }
  return `SELECT ${list} FROM ${quoteIdent(table.name)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`
    + `${options.orderBy ? ` ORDER BY ${quoteIdent(options.orderBy)}` : ''}${options.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(options.limit))}` : ''}`
}

/**
 * Streams the rows as objects, pausing the socket while the stream's buffer is full, so a slow
 * consumer slows the server down instead of filling memory. Unlike mysql2's own query stream,
 * destroying it (a transform failed) lets the query run out with its rows dropped, so the
 * connection stays usable and can be closed.
 */
export async function readRows(conn: MysqlConn, table: TableRef, options: ReadRowsOptions = {}): Promise<RowReader> {
  const columns = pick(await tableColumns(conn, table), options.columns, table)
  const binary = new Set(columns.filter((c) => c.kind === 'binary').map((c) => c.name))
  let bytes = 0
  const typeCast: mysql.TypeCast = (field) => {
    if (binary.has(field.name)) {
      const value = field.buffer()
      if (value) bytes += value.length
      return value
    }
    const text = field.string('utf8')
    if (text !== null) bytes += text.length
    return text
  }
  let dropped = false
  const stream = new Readable({
    objectMode: true,
    highWaterMark: 64,
    read: () => conn.raw.resume(),
    destroy: (error, callback) => {
      dropped = true
      conn.raw.resume()
      callback(error)
    },
  })
  conn.raw.query({ sql: readRowsSql(table, columns, options), typeCast })
    .on('result', (row) => { if (!dropped && !stream.push(row)) conn.raw.pause() })
    .on('error', (error) => { if (!dropped) stream.destroy(error) })
    .on('end', () => { if (!dropped) stream.push(null) })
  return { stream, bytes: () => bytes }
}

/** One value as a field of the dump CSV format (quoted; NULL bare; bytes as hex). */
export function csvField(value: unknown, column: ColumnInfo): string {
  if (value === null) return 'NULL'
  if (typeof value === 'string') {
    if (column.binary) return `"${Buffer.from(value, 'utf8').toString('hex')}"`
    return value.includes('"') ? `"${value.replace(/"/g, '""')}"` : `"${value}"`
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    if (!column.binary) throw new TypeError(`column ${column.name} (${column.type}) takes text, got bytes`)
    return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}"`
  }
  if (typeof value === 'bigint') return `"${value.toString()}"`
  if (typeof value === 'number' && Number.isSafeInteger(value)) return `"${value}"`
  throw new TypeError(`column ${column.name} (${column.type}): ${typeof value === 'number' ? `the number ${value} is not exact (pass a string or a bigint)` : `a ${value instanceof Date ? 'Date' : typeof value} is not a string, Buffer, bigint or null`}`)
}

/** Row objects in, dump-format CSV bytes out (in pieces of about 64 kB). */
export class CsvRowEncoder extends RowLineEncoder {
  constructor(columns: readonly ColumnInfo[], counter?: (bytes: number) => void) {
    super(columns, csvField, ',', counter)
  }
}

/**
 * Appends the rows with LOAD DATA LOCAL in one transaction (keys and foreign keys checked as
 * usual; nothing is truncated). Any warning fails and rolls back, as for loads.
 */
export async function writeRows(
  conn: MysqlConn, table: TableRef, wanted: readonly ColumnInfo[], rows: Readable, counter?: (bytes: number) => void,
): Promise<number> {
  const all = await mysqlColumns(conn, table)
  const columns = pick(all, wanted.map((c) => c.name), table)
  const generated = columns.find((c) => c.generated)
  if (generated) throw new DrydockError('DD_TRANSFORM_FAILED', `column ${generated.name} of ${table.name} is generated: it cannot be written`)
  await conn.query('START TRANSACTION')
  try {
    const result = await loadData(conn, table, columns, [rows, new CsvRowEncoder(columns, counter)])
    await conn.query('COMMIT')
    return result.affectedRows
  } catch (error) {
    await conn.query('ROLLBACK').catch(() => {})
    throw error
  }
}

export async function keyBounds(conn: MysqlConn, table: TableRef, key: string): Promise<{ min: string | null; max: string | null }> {
  const [column] = await conn.query(`SELECT DATA_TYPE AS type FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, [table.name, key])
  if (!column || !INTEGER_TYPES.includes(column.type!.toLowerCase())) {
    throw new DrydockError('DD_LOCATE_UNSUPPORTED', `key ${key} of ${table.name} is ${column?.type ?? 'missing'}, not an integer column`)
  }
  const k = quoteIdent(key)
  const [row] = await conn.query(`SELECT CAST(MIN(${k}) AS CHAR) AS min, CAST(MAX(${k}) AS CHAR) AS max FROM ${quoteIdent(table.name)}`)
  return { min: row!.min ?? null, max: row!.max ?? null }
}

export async function queryValue(conn: MysqlConn, sql: string): Promise<string | null> {
  await conn.query('START TRANSACTION READ ONLY')
  try {
    const rows = await new Promise<unknown[][]>((resolve, reject) => {
      conn.raw.query({ sql, rowsAsArray: true }, (error, result) => (error ? reject(error) : resolve(Array.isArray(result) ? result as unknown[][] : [])))
    })
    const value = rows[0]?.[0]
    return value === undefined || value === null ? null : Buffer.isBuffer(value) ? value.toString('utf8') : String(value)
  } finally {
    await conn.query('ROLLBACK').catch(() => {})
  }
}

/** Per table, a fingerprint of its columns: names, types, nullability, collation, generation. */
export async function definitions(conn: MysqlConn): Promise<Map<string, string>> {
  const rows = await conn.query(`
    SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name,
           CONCAT_WS(' ', COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLLATION_NAME, ''), IFNULL(GENERATION_EXPRESSION, '')) AS line
      FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE()
       AND TABLE_NAME IN (SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE')
     ORDER BY TABLE_NAME, ORDINAL_POSITION`)
  const lines = new Map<string, string[]>()
  for (const r of rows) {
    const key = `${r.db}.${r.name}`
    lines.set(key, [...(lines.get(key) ?? []), r.line!])
  }
  return new Map([...lines].map(([key, list]) => [key, createHash('md5').update(list.join(', ')).digest('hex')]))
}

/** Rows whose foreign key columns are all set but match no row of the referenced table. */
export async function danglingReferences(conn: MysqlConn): Promise<{ constraint: string; table: string; rows: number }[]> {
  const keys = await conn.query(`
    SELECT TABLE_SCHEMA AS db, CONSTRAINT_NAME AS name, TABLE_NAME AS child, REFERENCED_TABLE_NAME AS parent,
           COLUMN_NAME AS col, REFERENCED_COLUMN_NAME AS ref
      FROM information_schema.KEY_COLUMN_USAGE
     WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL
     ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`)
  const groups = new Map<string, { db: string; name: string; child: string; parent: string; cols: string[]; refs: string[] }>()
  for (const k of keys) {
    const id = `${k.child}\u0000${k.name}`
    const group = groups.get(id) ?? { db: k.db!, name: k.name!, child: k.child!, parent: k.parent!, cols: [], refs: [] }
    group.cols.push(k.col!)
    group.refs.push(k.ref!)
    groups.set(id, group)
  }
  const out: { constraint: string; table: string; rows: number }[] = []
  for (const g of groups.values()) {
    const [row] = await conn.query(`SELECT COUNT(*) AS n FROM ${quoteIdent(g.child)} AS c
      WHERE ${g.cols.map((col) => `c.${quoteIdent(col)} IS NOT NULL`).join(' AND ')}
        AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(g.parent)} AS p WHERE ${g.cols.map((col, i) => `p.${quoteIdent(g.refs[i]!)} = c.${quoteIdent(col)}`).join(' AND ')})`)
    out.push({ constraint: g.name, table: `${g.db}.${g.child}`, rows: Number(row!.n) })
  }
  return out
}

