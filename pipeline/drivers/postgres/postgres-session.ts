import type { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import type { ColumnInfo, KeySpan, PartBasis, PartRange, WriteOptions, ReadRowsOptions, RowReader, SequenceBehind, SequenceValue, Session, TableChecksum, TableDependencies, TableInfo, TableReader, TableRef } from '../driver.ts'
import { DrydockError } from '../../errors.ts'
import { failWhenLost, qualify, quoteIdent } from './postgres-connect.ts'
import { fingerprintLines } from '../../util/definitions-fingerprint.ts'
import { FINGERPRINT_SQL } from './postgres-fingerprint.ts'
import { bucketChecksumSql, checksumColumns, checksumSql, INTEGER_KEY_TYPES, KEY_TYPE_SQL } from './postgres-checksum.ts'
import * as rows from './postgres-rows.ts'
import { copyPartSql, partCondition, pgPartBasis } from './postgres-parts.ts'
import type { FenceMarks, FenceReadOptions } from '../../safety/fence/fence-types.ts'
import { pgFenceMarks } from './postgres-fence.ts'
import { sequencesBehind } from './postgres-sequences-behind.ts'
import * as locate from './postgres-locate.ts'
import { definitionChecksum, materializedViews, viewChecksum } from './postgres-matviews.ts'
import { pgTableDependencies } from './postgres-keep.ts'
import { DRYDOCK_SCHEMA_RE, NOT_DRYDOCK_SCHEMA } from './postgres-swap-names.ts'

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
SELECT n.nspname AS schema, c.relname AS name,
       format('%s start %s increment %s min %s max %s cache %s%s', format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
              s.seqmin, s.seqmax, s.seqcache, CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END) AS options
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
 WHERE c.relkind = 'S' AND ${SYSTEM_SCHEMAS} AND ${NOT_EXTENSION_MEMBER}
   AND CASE WHEN $1::text[] IS NULL THEN n.nspname !~ '${DRYDOCK_SCHEMA_RE}' ELSE n.nspname = ANY($1::text[]) END
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
      if (!part && options.emptyWithDelete) {
        await this.client.query(`DELETE FROM ONLY ${qualify(table)}`)
      } else if (!part) {
        // TRUNCATE in the same transaction makes a reload idempotent and lets COPY FREEZE skip
        // the later anti-wraparound vacuum of every row.
        await this.client.query(`TRUNCATE ONLY ${qualify(table)}`)
      } else if (part.clear) {
        if (part.range.kind !== 'key') throw new Error('a part by heap pages cannot be cleared on its own: truncate the table')
        await this.client.query(`DELETE FROM ONLY ${qualify(table)} AS dd_row WHERE ${partCondition(part.range)}`)
      }
      // Parts load side by side into one table, so only a whole-table load can FREEZE.
      const sink = this.client.query(copyFrom(`COPY ${qualify(table)} FROM STDIN${part || options.emptyWithDelete ? '' : ' (FREEZE)'}`))
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

  async checksumKeyRanges(table: TableRef, ranges: readonly PartRange[], within?: PartRange): Promise<TableChecksum[]> {
    const first = ranges[0]
    if (!first || first.kind !== 'key' || ranges.some((r) => r.kind !== 'key' || r.column !== first.column)) throw new Error('checksumKeyRanges takes key ranges of one column')
    const bounds = ranges.slice(1).map((r) => (r as { from: string }).from)
    const columns = await checksumColumns(this.client, qualify(table))
    const { rows: found } = await this.client.query(bucketChecksumSql(qualify(table), columns, first.column, within && partCondition(within)), [bounds])
    const sums: TableChecksum[] = ranges.map(() => ({ rows: 0, digest: '0' }))
    for (const r of found) sums[Number(r.bucket)] = { rows: Number(r.rows), digest: r.digest }
    return sums
  }

  partBasis(table: TableInfo, prefer?: 'key' | 'pages'): Promise<PartBasis | null> { return pgPartBasis(this.client, this.at(table), prefer) }

  checksumSpan(table: TableRef, key: readonly string[], span: KeySpan): Promise<TableChecksum> { return locate.checksumSpan(this.client, table, key, span) }
  spanBoundaries(table: TableRef, key: readonly string[], span: KeySpan, parts: number): Promise<string[][]> {
    return locate.spanBoundaries(this.client, table, key, span, parts)
  }
  rowsInSpan(table: TableRef, key: readonly string[], span: KeySpan, limit: number): Promise<Record<string, string | null>[]> {
    return locate.rowsInSpan(this.client, table, key, span, limit)
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
  async dropTable(table: TableRef): Promise<void> {
    // CASCADE: what depended on it (views, foreign keys) went with it on production too.
    await this.client.query(`DROP TABLE IF EXISTS ${qualify(table)} CASCADE`)
  }
  async suspendChecks(): Promise<void> {
    // Foreign keys are triggers too: replica mode fires neither (superuser, as on drydock's staging).
    await this.client.query('SET session_replication_role = replica')
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

  /** The copy's sequences (its shadow schemas, named as the schemas they stand in for), else every sequence. */
  async sequences(): Promise<SequenceValue[]> {
    const { rows } = await this.client.query(SEQUENCES_SQL, [this.schemasHere() ?? null])
    const values: SequenceValue[] = []
    for (const seq of rows) {
      const state = await this.client.query(`SELECT last_value::text AS last_value, is_called FROM ${qualify(seq)}`)
      values.push({ schema: this.named(seq.schema), name: seq.name, lastValue: state.rows[0].last_value, isCalled: state.rows[0].is_called, options: seq.options })
    }
    return values
  }

  sequencesBehind(): Promise<SequenceBehind[]> { return sequencesBehind(this.client) }
  materializedViews(schemas?: readonly string[]): Promise<TableRef[]> { return materializedViews(this.client, schemas) }
  checksumMaterializedView(view: TableRef, asRefreshed = false): Promise<TableChecksum> {
    return asRefreshed ? definitionChecksum(this.client, view) : viewChecksum(this.client, view)
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
