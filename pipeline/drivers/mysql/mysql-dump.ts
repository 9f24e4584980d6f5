import { pipeline, Transform, type TransformCallback } from 'node:stream'
import { stringify } from 'csv-stringify'
import type mysql from 'mysql2'
import type { TableReader, TableRef } from '../driver.ts'
import { dumpExpression, tableColumns } from './mysql-columns.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'

/**
 * The dump file format (also what LOAD DATA reads, see mysql-load.ts): RFC 4180 CSV, UTF-8,
 * `\n` between rows, one field per non-generated column in definition order.
 * Every value is a quoted string ("" is the empty string); SQL NULL is the bare word NULL.
 * Inside quotes `"` is doubled and nothing else is escaped (LOAD DATA … ESCAPED BY '').
 * Binary columns hold their bytes as hex, BIT columns their unsigned integer, FLOAT columns the
 * value as DOUBLE; everything else is the server's own text (UTC, exact decimals).
 */
const CSV_OPTIONS = {
  quoted_string: true,
  record_delimiter: 'unix',
  eof: true,
  cast: { null: () => 'NULL' },
} as const

/** Counts rows on their way to the CSV writer. */
class RowCounter extends Transform {
  rows = 0
  constructor() {
    super({ objectMode: true })
  }

  override _transform(row: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.rows++
    callback(null, row)
  }
}

/**
 * Streams the table as CSV. mysql2's query stream pauses the socket when the object buffer
 * is full (push() returns false), so a slow disk slows the server down instead of filling memory.
 */
export async function readTable(conn: MysqlConn, table: TableRef): Promise<TableReader> {
  const columns = (await tableColumns(conn, table)).filter((c) => !c.generated)
  const sql = `SELECT ${columns.map((c, i) => `${dumpExpression(c)} AS c${i}`).join(', ')} FROM ${quoteIdent(table.name)}`
  const binary = new Set(columns.flatMap((c, i) => (c.kind === 'binary' ? [`c${i}`] : [])))
  const typeCast: mysql.TypeCast = (field) => {
    if (!binary.has(field.name)) return field.string('utf8')
    return field.buffer()?.toString('hex') ?? null
  }
  const rows = conn.raw.query({ sql, rowsAsArray: true, typeCast }).stream({ highWaterMark: 64 })
  const counter = new RowCounter()
  // The callback form returns the last stream; a failure anywhere destroys all of them and
  // reaches whoever reads the CSV.
  const csv = pipeline(rows, counter, stringify(CSV_OPTIONS), () => {})
  return { stream: csv, rows: () => counter.rows }
}
