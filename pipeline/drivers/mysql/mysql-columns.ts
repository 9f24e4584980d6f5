import type { TableRef } from '../driver.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'

/** How a column's value travels in the dump file and enters the checksum. */
export type ColumnKind = 'binary' | 'bit' | 'float' | 'long-text' | 'json' | 'plain'

export interface Column {
  readonly name: string
  readonly kind: ColumnKind
  /** Generated columns are recomputed on load: never dumped, always checksummed. */
  readonly generated: boolean
}

const BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point',
  'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection'])
const LONG_TEXT = new Set(['tinytext', 'text', 'mediumtext', 'longtext'])

function kindOf(dataType: string): ColumnKind {
  const t = dataType.toLowerCase()
  if (BINARY.has(t)) return 'binary'
  if (t === 'bit') return 'bit'
  // The server prints FLOAT with 6 digits; as DOUBLE it is exact and loads back to the same float.
  if (t === 'float') return 'float'
  if (LONG_TEXT.has(t)) return 'long-text'
  if (t === 'json') return 'json'
  return 'plain'
}

/** The table's columns in definition order (the session's database; TableRef.schema is a label). */
export async function tableColumns(conn: MysqlConn, table: TableRef): Promise<Column[]> {
  const rows = await conn.query(`
    SELECT COLUMN_NAME AS name, DATA_TYPE AS type,
           (COALESCE(GENERATION_EXPRESSION, '') <> '') AS generated
      FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
     ORDER BY ORDINAL_POSITION`, [table.name])
  if (rows.length === 0) throw new Error(`table ${quoteIdent(table.name)} not found in the database`)
  return rows.map((r) => ({ name: r.name!, kind: kindOf(r.type!), generated: r.generated === '1' }))
}

/**
 * The SELECT expression whose text is written to the dump file. Binary columns come as
 * bytes and are hex-encoded by the client (HEX() on the server would turn NULL past
 * max_allowed_packet / 2).
 */
export function dumpExpression(column: Column): string {
  const c = quoteIdent(column.name)
  switch (column.kind) {
    case 'bit': return `CAST(${c} AS UNSIGNED)`
    case 'float': return `(${c} + 0e0)`
    default: return c
  }
}

/** LOAD DATA's column list and SET clause for the dumped columns, in the same order. */
export function loadTargets(columns: readonly Column[]): { list: string; set: string } {
  const list: string[] = []
  const set: string[] = []
  columns.filter((c) => !c.generated).forEach((column, i) => {
    const c = quoteIdent(column.name)
    if (column.kind === 'binary' || column.kind === 'bit') {
      list.push(`@dd${i}`)
      set.push(column.kind === 'binary' ? `${c} = UNHEX(@dd${i})` : `${c} = CAST(@dd${i} AS UNSIGNED)`)
    } else {
      list.push(c)
    }
  })
  return { list: list.join(', '), set: set.length ? ` SET ${set.join(', ')}` : '' }
}

/**
 * One column's part of the row text: `QUOTE(value)` for short values (an SQL string literal,
 * `'…'` with `\\`, `'`, NUL and Ctrl-Z escaped, or the bare word NULL: one function per column
 * where `<byte length>:<bytes>` took five), the SHA-1 (40 hex digits) of the bytes for long ones
 * (a concatenation past max_allowed_packet would turn NULL), and `N` for a NULL long value.
 * Every part is self-delimiting, so the concatenation is unambiguous. CAST AS BINARY keeps each
 * short column in its own character set and avoids collation mixes; SHA1() of a long column
 * already hashes its bytes as stored, so it needs no CAST, whose copy of every long value cost
 * more than the hash. SHA-1, not MD5: the servers' OpenSSL computes it with the CPU's SHA
 * instructions, several times faster.
 */
export function checksumPart(column: Column): string {
  const c = quoteIdent(column.name)
  switch (column.kind) {
    case 'binary':
    case 'long-text':
      return `IFNULL(SHA1(${c}), 'N')`
    case 'json':
      return `IFNULL(SHA1(CAST(${c} AS CHAR CHARACTER SET utf8mb4)), 'N')`
    default:
      return `CAST(QUOTE(${dumpExpression(column)}) AS BINARY)`
  }
}
