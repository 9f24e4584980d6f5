import type { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import type { TableDependencies, ColumnInfo, PartBasis, PartRange, WriteOptions, ReadRowsOptions, RowReader, SequenceValue, Session, TableChecksum, TableInfo, TableReader, TableRef } from '../driver.ts'
import { DrydockError } from '../../errors.ts'
import { failWhenLost, qualify, quoteIdent } from './postgres-connect.ts'
import { fingerprintLines } from '../../util/definitions-fingerprint.ts'
import { FINGERPRINT_SQL } from './postgres-fingerprint.ts'
import { checksumColumns, checksumSql, INTEGER_KEY_TYPES, KEY_TYPE_SQL, keyRangeSql } from './postgres-checksum.ts'
import * as rows from './postgres-rows.ts'
import { copyPartSql, partCondition, pgPartBasis } from './postgres-parts.ts'
import type { FenceMarks, FenceReadOptions } from '../../fence/fence-types.ts'
import { pgFenceMarks } from './postgres-fence.ts'
import { pgTableDependencies } from './postgres-keep.ts'
import { DRYDOCK_SCHEMA_RE, NOT_DRYDOCK_SCHEMA } from './postgres-swap-names.ts'

/** Every column as the server's text output (canonical under the session settings), nothing parsed. */
const TEXT_VALUES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig

const SYSTEM_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'"
// Tables and sequences that belong to an extension are recreated by CREATE EXTENSION, not copied.
const NOT_EXTENSION_MEMBER =
  "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"

const INVENTORY_SQL = `
SELECT n.nspname AS schema, c.relname AS name,
       greatest(c.reltuples, 0)::bigint::text AS estimated_rows,
       pg_total_relation_size(c.oid)::text AS bytes,
       coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord)
                   FROM pg_index i
                   CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE i.indrelid = c.oid AND i.indisprimary), '{}') AS primary_key
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND ${SYSTEM_SCHEMAS} AND ${NOT_EXTENSION_MEMBER}
   AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[])) AND ${NOT_DRYDOCK_SCHEMA}
 ORDER BY pg_total_relation_size(c.oid) DESC, n.nspname, c.relname`

const SEQUENCES_SQL = `
SELECT n.nspname AS schema, c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'S' AND ${SYSTEM_SCHEMAS} AND ${NOT_EXTENSION_MEMBER} AND n.nspname !~ '${DRYDOCK_SCHEMA_RE}'
 ORDER BY 1, 2`

// Indexes, key/unique/exclusion/foreign-key constraints and user triggers on tables that are
// not an extension's own (those come with CREATE EXTENSION, in pre-data).
const POST_DATA_SQL = `
SELECT EXISTS (
  SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'm') AND ${SYSTEM_SCHEMAS} AND ${NOT_EXTENSION_MEMBER}
     AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
     AND (EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid)
          OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'f', 'x'))
          OR EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal))
) AS present`

export class PostgresSession implements Session {
  /** `schemaMap`: the endpoint's shadow schemas (Endpoint.schemaMap); table refs are mapped on the way in and back on the way out. */
  constructor(readonly client: pg.Client, private readonly schemaMap: Readonly<Record<string, string>> = {}) {}

  /** Where `table` lives in this database. */
  private at<T extends { schema: string }>(table: T): T {
    const schema = this.schemaMap[table.schema]
    return schema === undefined ? table : { ...table, schema }
  }

  /** The name a schema of this database has for the caller (the inverse of `at`). */
  private named(schema: string): string {
    return Object.entries(this.schemaMap).find(([, here]) => here === schema)?.[0] ?? schema
  }

  private schemasHere(schemas?: readonly string[]): readonly string[] | undefined {
    return schemas?.map((s) => this.schemaMap[s] ?? s) ?? (Object.keys(this.schemaMap).length > 0 ? Object.values(this.schemaMap) : undefined)
  }

  async inventory(schemas?: readonly string[]): Promise<TableInfo[]> {
    const { rows } = await this.client.query(INVENTORY_SQL, [this.schemasHere(schemas) ?? null])
    return rows.map((r) => ({
      schema: this.named(r.schema),
      name: r.name,
      estimatedRows: Number(r.estimated_rows),
      bytes: Number(r.bytes),
      primaryKey: r.primary_key,
    }))
  }

  async fingerprint(schemas?: readonly string[]): Promise<string> {
    const { rows } = await this.client.query(FINGERPRINT_SQL, [schemas ?? null])
    return fingerprintLines(rows.map((r) => r.line as string))
  }

  async readTable(ref: TableRef, range?: PartRange): Promise<TableReader> {
    const table = this.at(ref)
    // COPY without a column list leaves generated columns out: they are recomputed on load.
    const sql = range ? await copyPartSql(this.client, table, range) : `COPY ${qualify(table)} TO STDOUT`
    const stream = failWhenLost(this.client.query(copyTo(sql)))
    return { stream, rows: () => stream.rowCount }
  }

  async writeTable(ref: TableRef, source: Readable, through: Transform[], options: WriteOptions = {}): Promise<number> {
    const table = this.at(ref)
    const { part } = options
    await this.client.query('BEGIN')
    try {
      if (!part) {
        // TRUNCATE in the same transaction makes a reload idempotent and lets COPY FREEZE skip
        // the later anti-wraparound vacuum of every row.
        await this.client.query(`TRUNCATE ONLY ${qualify(table)}`)
      } else if (part.clear) {
        if (part.range.kind !== 'key') throw new Error('a part by heap pages cannot be cleared on its own: truncate the table')
        await this.client.query(`DELETE FROM ONLY ${qualify(table)} AS dd_row WHERE ${partCondition(part.range)}`)
      }
      // Parts load side by side into one table, so only a whole-table load can FREEZE.
      const sink = this.client.query(copyFrom(`COPY ${qualify(table)} FROM STDIN${part ? '' : ' (FREEZE)'}`))
      await pipeline([source, ...through, sink])
      await options.beforeCommit?.(sink.rowCount)
      await this.client.query('COMMIT')
      return sink.rowCount
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => {})
      throw error
    }
  }

  async checksum(ref: TableRef, range?: PartRange): Promise<TableChecksum> {
    const table = this.at(ref)
    const columns = await checksumColumns(this.client, qualify(table))
    const { rows } = await this.client.query(checksumSql(qualify(table), columns, range && partCondition(range)))
    return { rows: Number(rows[0].rows), digest: rows[0].digest }
  }

  partBasis(table: TableInfo, prefer?: 'key' | 'pages'): Promise<PartBasis | null> { return pgPartBasis(this.client, this.at(table), prefer) }

  async checksumRange(ref: TableRef, key: string, from: string, to: string): Promise<TableChecksum> {
    const table = this.at(ref)
    const range = keyRangeSql(quoteIdent(key), to)
    const columns = await checksumColumns(this.client, qualify(table))
    const { rows } = await this.client.query(checksumSql(qualify(table), columns, range), range.includes('$2') ? [from, to] : [from])
    return { rows: Number(rows[0].rows), digest: rows[0].digest }
  }

  async keyBounds(ref: TableRef, key: string): Promise<{ min: string | null; max: string | null }> {
    const table = this.at(ref)
    const { rows: types } = await this.client.query(KEY_TYPE_SQL, [qualify(table), key])
    const type: string | undefined = types[0]?.type
    if (!type || !INTEGER_KEY_TYPES.includes(type)) {
      throw new DrydockError('DD_LOCATE_UNSUPPORTED', `key ${key} of ${table.schema}.${table.name} is ${type ?? 'missing'}, not an integer column`)
    }
    const k = quoteIdent(key)
    const { rows } = await this.client.query(`SELECT min(${k})::text AS min, max(${k})::text AS max FROM ONLY ${qualify(table)}`)
    return { min: rows[0].min, max: rows[0].max }
  }

  async rowsInRange(ref: TableRef, key: string, from: string, to: string, limit: number): Promise<Record<string, string | null>[]> {
    const table = this.at(ref)
    const range = keyRangeSql(quoteIdent(key), to)
    const params = range.includes('$2') ? [from, to, limit] : [from, limit]
    const text = `SELECT * FROM ONLY ${qualify(table)} AS dd_row WHERE ${range} ORDER BY dd_row.${quoteIdent(key)} LIMIT $${params.length}::bigint`
    const { rows } = await this.client.query({ text, values: params, types: TEXT_VALUES })
    return rows
  }

  // Row transforms, expectations (postgres-rows.ts).
  columns(table: TableRef): Promise<ColumnInfo[]> { return rows.pgColumns(this.client, this.at(table)) }
  readRows(table: TableRef, options?: ReadRowsOptions): Promise<RowReader> { return rows.readRows(this.client, this.at(table), options) }
  writeRows(table: TableRef, columns: readonly ColumnInfo[], source: Readable, counter?: (bytes: number) => void): Promise<number> {
    return rows.writeRows(this.client, this.at(table), columns, source, counter)
  }
  queryValue(sql: string): Promise<string | null> { return rows.queryValue(this.client, sql) }
  async truncate(table: TableRef): Promise<void> {
    await this.client.query(`TRUNCATE ONLY ${qualify(this.at(table))}`)
  }
  async rowCount(table: TableRef): Promise<number> {
    return Number((await this.client.query(`SELECT count(*)::text AS n FROM ONLY ${qualify(this.at(table))}`)).rows[0].n)
  }
  definitions(schemas?: readonly string[]): Promise<Map<string, string>> { return rows.definitions(this.client, schemas) }
  danglingReferences(schemas?: readonly string[]) { return rows.danglingReferences(this.client, schemas) }
  tableDependencies(schemas?: readonly string[]): Promise<TableDependencies> { return pgTableDependencies(this.client, schemas) }

  async hasPostData(schemas?: readonly string[]): Promise<boolean> {
    const { rows } = await this.client.query(POST_DATA_SQL, [this.schemasHere(schemas) ?? null])
    return rows[0].present
  }

  async sequences(): Promise<SequenceValue[]> {
    const { rows } = await this.client.query(SEQUENCES_SQL)
    const values: SequenceValue[] = []
    for (const seq of rows) {
      const state = await this.client.query(`SELECT last_value::text AS last_value, is_called FROM ${qualify(seq)}`)
      values.push({ schema: seq.schema, name: seq.name, lastValue: state.rows[0].last_value, isCalled: state.rows[0].is_called })
    }
    return values
  }

  async setSequences(values: readonly SequenceValue[]): Promise<void> {
    for (const v of values) {
      await this.client.query('SELECT pg_catalog.setval($1::regclass, $2::bigint, $3)', [qualify(this.at(v)), v.lastValue, v.isCalled])
    }
  }

  async analyze(tables: readonly TableRef[]): Promise<void> {
    for (const table of tables) await this.client.query(`ANALYZE ${qualify(this.at(table))}`)
  }

  /** Write-fence marks (postgres-fence.ts). */
  async fenceMarks(tables: readonly TableRef[], options: FenceReadOptions): Promise<FenceMarks> {
    const schemas = this.schemasHere(options.schemas)
    const marks = await pgFenceMarks(this.client, tables.map((t) => this.at(t)), { ...options, ...(schemas ? { schemas } : {}) })
    if (Object.keys(this.schemaMap).length === 0) return marks
    const key = (k: string) => { const dot = k.indexOf('.'); return `${this.named(k.slice(0, dot))}${k.slice(dot)}` }
    return { ...marks, tables: Object.fromEntries(Object.entries(marks.tables).map(([k, v]) => [key(k), v])), allTables: marks.allTables.map(key) }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {})
  }
}
