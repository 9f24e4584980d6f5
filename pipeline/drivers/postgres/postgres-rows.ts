/**
 * Rows as exact values for row transforms (pipeline/migration/transform), read with COPY … TO STDOUT and
 * written with COPY … FROM STDIN, both in the text format:
 *
 * - every value is the server's text output under drydock's pinned session settings (UTC,
 *   ISO dates, full float precision, hex bytea), with the COPY escapes decoded: a string;
 * - SQL NULL (`\N`) is null, the empty string is '';
 * - bytea (and domains over it) is a Buffer of the bytes;
 * - on the way back a string is the type's text input, a Buffer is bytea's `\x` hex form,
 *   a bigint (or a safe integer) its decimal text; nothing passes through a JS number or Date.
 */
import { Transform, type TransformCallback, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pipeline as pipelineCallback } from 'node:stream'
import type pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import type { ColumnInfo, ReadRowsOptions, RowReader, RowValue, TableRef } from '../driver.ts'
import { DrydockError } from '../../errors.ts'
import { failWhenLost, qualify, quoteIdent } from './postgres-connect.ts'
import { INTEGER_KEY_TYPES, KEY_TYPE_SQL } from './postgres-checksum.ts'
import { RowLineEncoder } from '../../transfer/row-line-encoder.ts'
import { NOT_DRYDOCK_SCHEMA } from './postgres-swap-names.ts'

const TAB = 0x09
const NEWLINE = 0x0a
const BACKSLASH = 0x5c
const INT8_MAX = 2n ** 63n - 1n
/** COPY data is handed on in pieces of about this size. */

const COLUMNS_SQL = `
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END) = 'bytea'::regtype AS binary,
       a.attgenerated <> '' AS generated
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`

export async function pgColumns(client: pg.Client, table: TableRef): Promise<ColumnInfo[]> {
  const { rows } = await client.query(COLUMNS_SQL, [qualify(table)])
  return rows.map((r) => ({ name: r.name, type: r.type, binary: r.binary, generated: r.generated }))
}

/** Decodes one COPY text field (escapes as in PostgreSQL's CopyReadAttributesText). */
function unescape(line: Buffer, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(to - from)
  let n = 0
  for (let i = from; i < to; i++) {
    const c = line[i]!
    if (c !== BACKSLASH || i + 1 >= to) { out[n++] = c; continue }
    const e = line[++i]!
    switch (e) {
      case 0x62: out[n++] = 0x08; break // \b
      case 0x66: out[n++] = 0x0c; break // \f
      case 0x6e: out[n++] = 0x0a; break // \n
      case 0x72: out[n++] = 0x0d; break // \r
      case 0x74: out[n++] = 0x09; break // \t
      case 0x76: out[n++] = 0x0b; break // \v
      case 0x78: { // \xh or \xhh
        let value = 0
        let digits = 0
        while (digits < 2 && i + 1 < to && isHex(line[i + 1]!)) { value = value * 16 + hexValue(line[++i]!); digits++ }
        if (digits === 0) out[n++] = e
        else out[n++] = value
        break
      }
      default:
        if (e >= 0x30 && e <= 0x37) { // \o, \oo, \ooo
          let value = e - 0x30
          for (let k = 0; k < 2 && i + 1 < to && line[i + 1]! >= 0x30 && line[i + 1]! <= 0x37; k++) value = value * 8 + (line[++i]! - 0x30)
          out[n++] = value & 0xff
        } else {
          out[n++] = e
        }
    }
  }
  return out.subarray(0, n)
}

/**
 * The same for the common case, on the field's text: PostgreSQL's COPY TO only writes the
 * named escapes (\b \f \n \r \t \v \\); octal and hex escapes (which name bytes) go the byte way.
 */
function unescapeText(line: Buffer, from: number, to: number): string {
  const text = line.toString('utf8', from, to)
  let at = text.indexOf('\\')
  let out = ''
  let start = 0
  while (at !== -1) {
    const e = text.charCodeAt(at + 1)
    let c: string
    switch (e) {
      case 0x6e: c = '\n'; break
      case 0x74: c = '\t'; break
      case 0x5c: c = '\\'; break
      case 0x72: c = '\r'; break
      case 0x62: c = '\b'; break
      case 0x66: c = '\f'; break
      case 0x76: c = '\v'; break
      default:
        if (e === 0x78 || (e >= 0x30 && e <= 0x37)) return unescape(line, from, to).toString('utf8')
        c = Number.isNaN(e) ? '\\' : text[at + 1]!
    }
    out += text.slice(start, at) + c
    start = at + 2
    at = text.indexOf('\\', start)
  }
  return out + text.slice(start)
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57)

/** bytea's hex text output (`\x0a0b…`) as the bytes. */
function byteaValue(text: Buffer): Buffer {
  if (text.length >= 2 && text[0] === BACKSLASH && text[1] === 0x78) return Buffer.from(text.toString('latin1', 2), 'hex')
  throw new Error(`unexpected bytea text ${text.toString('latin1', 0, 20)} (bytea_output must be hex)`)
}

/** COPY text-format bytes in, one object per row out (`columns` in COPY order). */
export class CopyTextDecoder extends Transform {
  bytes = 0
  private pending: Buffer[] = []
  constructor(private readonly columns: readonly ColumnInfo[]) {
    super({ readableObjectMode: true, readableHighWaterMark: 64 })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    try {
      let start = 0
      let newline = chunk.indexOf(NEWLINE)
      if (newline === -1) { this.pending.push(chunk); callback(); return }
      if (this.pending.length > 0) {
        this.pending.push(chunk.subarray(0, newline + 1))
        const joined = Buffer.concat(this.pending)
        this.pending = []
        this.push(this.parseLine(joined.subarray(0, joined.length - 1)))
        start = newline + 1
        newline = chunk.indexOf(NEWLINE, start)
      }
      for (; newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
        this.push(this.parseLine(chunk.subarray(start, newline)))
        start = newline + 1
      }
      if (start < chunk.length) this.pending.push(chunk.subarray(start))
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.pending.length > 0 ? new Error('COPY data ended in the middle of a row') : null)
  }

  private parseLine(line: Buffer): Record<string, RowValue> {
    const row: Record<string, RowValue> = {}
    const columns = this.columns
    let escape = line.indexOf(BACKSLASH)
    let from = 0
    for (let i = 0; i < columns.length; i++) {
      let to = line.indexOf(TAB, from)
      if (to === -1) to = line.length
      if (i === columns.length - 1 && to !== line.length) throw new Error(`COPY row has more than ${columns.length} fields`)
      const column = columns[i]!
      if (escape !== -1 && escape < from) escape = line.indexOf(BACKSLASH, from)
      let value: RowValue
      if (to - from === 2 && line[from] === BACKSLASH && line[from + 1] === 0x4e) value = null
      else if (column.binary) {
        // bytea's `\x0a0b…` arrives as `\\x0a0b…` (the backslash escaped): hex digits never need escapes.
        value = line[from] === BACKSLASH && line[from + 1] === BACKSLASH && line[from + 2] === 0x78
          ? Buffer.from(line.toString('latin1', from + 3, to), 'hex')
          : byteaValue(escape === -1 || escape >= to ? line.subarray(from, to) : unescape(line, from, to))
      }
      else if (escape === -1 || escape >= to) value = line.toString('utf8', from, to)
      else value = unescapeText(line, from, to)
      row[column.name] = value
      if (to === line.length && i < columns.length - 1) throw new Error(`COPY row has ${i + 1} fields, expected ${columns.length}`)
      from = to + 1
    }
    return row
  }
}

/** COPY text escapes: backslash first; native passes only for the characters present. */
function escapeText(value: string): string {
  let out = value
  if (out.includes('\\')) out = out.replaceAll('\\', '\\\\')
  if (out.includes('\n')) out = out.replaceAll('\n', '\\n')
  if (out.includes('\t')) out = out.replaceAll('\t', '\\t')
  if (out.includes('\r')) out = out.replaceAll('\r', '\\r')
  return out
}

/** One value as a COPY text field. */
export function copyField(value: unknown, column: ColumnInfo): string {
  if (value === null) return '\\N'
  if (typeof value === 'string') return escapeText(value)
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    if (!column.binary) throw new TypeError(`column ${column.name} (${column.type}) takes text, got bytes`)
    return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
  }
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  throw new TypeError(`column ${column.name} (${column.type}): ${describeValue(value)} is not a string, Buffer, bigint or null`)
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (typeof value === 'number') return `the number ${value} (only exact values: pass a string or a bigint)`
  if (value instanceof Date) return 'a Date (pass the timestamp as a string)'
  return `a ${typeof value}`
}

/** Row objects in, COPY text-format bytes out (in pieces of about 64 kB). */
export class CopyTextEncoder extends RowLineEncoder {
  constructor(columns: readonly ColumnInfo[], counter?: (bytes: number) => void) {
    super(columns, copyField, '\t', counter)
  }
}

function integerLiteral(value: string): string {
  if (!/^-?\d+$/.test(value)) throw new DrydockError('DD_TRANSFORM_FAILED', `key bound ${JSON.stringify(value)} is not an integer`)
  return value
}

/** `COPY (SELECT …) TO STDOUT` for the columns, key range, order and limit asked for. */
export function readRowsSql(table: TableRef, columns: readonly ColumnInfo[], options: ReadRowsOptions): string {
  const list = columns.map((c) => quoteIdent(c.name)).join(', ')
  const where: string[] = []
  if (options.range) {
    const k = quoteIdent(options.range.key)
    where.push(`${k} >= ${integerLiteral(options.range.from)}::bigint`)
    if (BigInt(integerLiteral(options.range.to)) <= INT8_MAX) where.push(`${k} < ${options.range.to}::bigint`)
  }
  return `COPY (SELECT ${list} FROM ONLY ${qualify(table)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`
    + `${options.orderBy ? ` ORDER BY ${quoteIdent(options.orderBy)}` : ''}${options.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(options.limit))}` : ''}) TO STDOUT`
}

export function pickColumns(all: readonly ColumnInfo[], names: readonly string[] | undefined, table: TableRef): ColumnInfo[] {
  if (!names) return [...all]
  return names.map((name) => {
    const column = all.find((c) => c.name === name)
    if (!column) throw new DrydockError('DD_TRANSFORM_FAILED', `table ${table.schema}.${table.name} has no column ${name} (it has ${all.map((c) => c.name).join(', ')})`)
    return column
  })
}

export async function readRows(client: pg.Client, table: TableRef, options: ReadRowsOptions = {}): Promise<RowReader> {
  const columns = pickColumns(await pgColumns(client, table), options.columns, table)
  const copy = failWhenLost(client.query(copyTo(readRowsSql(table, columns, options))))
  const decoder = new CopyTextDecoder(columns)
  // A failure anywhere destroys both streams and reaches whoever reads the rows.
  const stream = pipelineCallback(copy, decoder, () => {})
  return { stream, bytes: () => decoder.bytes }
}

const lz4 = new WeakMap<pg.Client, boolean>()

/**
 * Appends the rows with COPY FROM STDIN in one transaction; returns the rows written. Long
 * values are compressed with lz4 where the server has it (much cheaper than pglz; the
 * compression of staging's rows is invisible to the load back, which reads them as text).
 */
export async function writeRows(
  client: pg.Client, table: TableRef, columns: readonly ColumnInfo[], rows: Readable, counter?: (bytes: number) => void,
): Promise<number> {
  if (!lz4.has(client)) {
    const { rows: found } = await client.query("SELECT coalesce(bool_or('lz4' = ANY(enumvals)), false) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'")
    lz4.set(client, found[0]?.lz4 === true)
  }
  await client.query('BEGIN')
  try {
    if (lz4.get(client)) await client.query("SET LOCAL default_toast_compression = 'lz4'")
    const sink = client.query(copyFrom(`COPY ${qualify(table)} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) FROM STDIN`))
    await pipeline(rows, new CopyTextEncoder(columns, counter), sink)
    await client.query('COMMIT')
    return sink.rowCount
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

/** Throws DD_TRANSFORM_FAILED unless `key` is a smallint, integer or bigint column. */
export async function checkIntegerKey(client: pg.Client, table: TableRef, key: string): Promise<void> {
  const { rows } = await client.query(KEY_TYPE_SQL, [qualify(table), key])
  const type: string | undefined = rows[0]?.type
  if (!type || !INTEGER_KEY_TYPES.includes(type)) {
    throw new DrydockError('DD_TRANSFORM_FAILED', `key ${key} of ${table.schema}.${table.name} is ${type ?? 'missing'}, not an integer column`)
  }
}

/** A read-only query's first value as text. */
export async function queryValue(client: pg.Client, sql: string): Promise<string | null> {
  await client.query('BEGIN READ ONLY')
  try {
    const result = await client.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig })
    const row = (result.rows as unknown[][])[0]
    const value = row?.[0]
    return value === undefined || value === null ? null : String(value)
  } finally {
    await client.query('ROLLBACK').catch(() => {})
  }
}

const SYSTEM = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)' AND ${NOT_DRYDOCK_SCHEMA}`

const DEFINITIONS_SQL = `
SELECT n.nspname AS schema, c.relname AS name,
       md5(string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                      || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                      || CASE WHEN a.attgenerated <> '' THEN ' generated ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') ELSE '' END
                      || CASE WHEN a.attcollation <> t.typcollation THEN ' collate ' || co.collname ELSE '' END,
                      ', ' ORDER BY a.attnum)) AS fingerprint
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relkind IN ('r', 'p') AND ${SYSTEM} AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
 GROUP BY n.nspname, c.relname`

export async function definitions(client: pg.Client, schemas?: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await client.query(DEFINITIONS_SQL, [schemas ?? null])
  return new Map(rows.map((r) => [`${r.schema}.${r.name}`, r.fingerprint]))
}

const FOREIGN_KEYS_SQL = `
SELECT con.conname AS name, con.conrelid::regclass::text AS child, con.confrelid::regclass::text AS parent,
       n.nspname AS schema, c.relname AS table_name,
       (SELECT array_agg(quote_ident(a.attname) ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS child_columns,
       (SELECT array_agg(quote_ident(a.attname) ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS parent_columns
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE con.contype = 'f' AND ${SYSTEM} AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
 ORDER BY 4, 5, 1`

/** Rows whose foreign key columns are all set but match no row of the referenced table (MATCH SIMPLE). */
export async function danglingReferences(client: pg.Client, schemas?: readonly string[]): Promise<{ constraint: string; table: string; rows: number }[]> {
  const { rows: keys } = await client.query(FOREIGN_KEYS_SQL, [schemas ?? null])
  const out: { constraint: string; table: string; rows: number }[] = []
  for (const fk of keys) {
    const child: string[] = fk.child_columns
    const parent: string[] = fk.parent_columns
    const sql = `SELECT count(*)::text AS n FROM ONLY ${fk.child} AS c
      WHERE ${child.map((col) => `c.${col} IS NOT NULL`).join(' AND ')}
        AND NOT EXISTS (SELECT 1 FROM ${fk.parent} AS p WHERE ${child.map((col, i) => `p.${parent[i]} = c.${col}`).join(' AND ')})`
    const { rows } = await client.query(sql)
    out.push({ constraint: fk.name, table: `${fk.schema}.${fk.table_name}`, rows: Number(rows[0].n) })
  }
  return out
}
