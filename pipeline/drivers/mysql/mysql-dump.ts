import { pipeline } from 'node:stream'
import type mysql from 'mysql2'
import type { PartRange, TableReader, TableRef } from '../driver.ts'
import { partWhere } from './mysql-parts.ts'
import { dumpExpression, tableColumns } from './mysql-columns.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'
import { CsvWriter } from './mysql-csv.ts'
import { failWithConnection } from './mysql-stream-guard.ts'

/**
 * The dump file format (also what LOAD DATA reads, see mysql-load.ts): RFC 4180 CSV, UTF-8,
 * `\n` between rows, one field per non-generated column in definition order.
 * Every value is a quoted string ("" is the empty string); SQL NULL is the bare word NULL.
 * Inside quotes `"` is doubled and nothing else is escaped (LOAD DATA … ESCAPED BY '').
 * Binary columns hold their bytes as hex, BIT columns their unsigned integer, FLOAT columns the
 * value as DOUBLE; everything else is the server's own text (UTC, exact decimals).
 *
 * Streams the table as CSV (mysql-csv.ts writes it). mysql2's query stream pauses the socket when the object buffer
 * is full (push() returns false), so a slow disk slows the server down instead of filling memory.
 */
export async function readTable(conn: MysqlConn, table: TableRef, range?: PartRange): Promise<TableReader> {
  const columns = (await tableColumns(conn, table)).filter((c) => !c.generated)
  const sql = `SELECT ${columns.map((c, i) => `${dumpExpression(c)} AS c${i}`).join(', ')} FROM ${quoteIdent(table.name)}${partWhere(range)}`
  const binary = new Set(columns.flatMap((c, i) => (c.kind === 'binary' ? [`c${i}`] : [])))
  // The server's bytes as they arrived (utf8mb4, the connection's character set): no string is
  // decoded and encoded again on the way to the file; binary columns as hex.
  const typeCast: mysql.TypeCast = (field) => {
    const bytes = field.buffer()
    if (!binary.has(field.name) || bytes === null) return bytes
    return Buffer.from(bytes.toString('hex'), 'latin1')
  }
  const query = conn.raw.query({ sql, rowsAsArray: true, typeCast })
  conn.trackRead(query)
  const rows = failWithConnection(conn, query.stream({ highWaterMark: 64 }))
  const writer = new CsvWriter()
  // The callback form returns the last stream; a failure anywhere destroys all of them and
  // reaches whoever reads the CSV.
  const csv = pipeline(rows, writer, () => {})
  return { stream: csv, rows: () => writer.rows, liveRows: () => writer.rows }
}
