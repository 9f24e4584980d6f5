import type { Readable, Transform } from 'node:stream'
import type { ColumnInfo, KeySpan, TableDependencies, PartBasis, PartRange, WriteOptions, ReadRowsOptions, RowReader, SequenceValue, Session, TableChecksum, TableInfo, TableReader, TableRef } from '../driver.ts'
import { fingerprintLines } from '../../util/definitions-fingerprint.ts'
import { checksumSql } from './mysql-checksum.ts'
import { FINGERPRINT_SQL } from './mysql-fingerprint.ts'
import { tableColumns } from './mysql-columns.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'
import { readTable } from './mysql-dump.ts'
import { writeTable } from './mysql-load.ts'
import * as rows from './mysql-rows.ts'
import * as locate from './mysql-locate.ts'
import { mysqlPartBasis, partWhere } from './mysql-parts.ts'
import { mysqlTableDependencies } from './mysql-keep.ts'
import type { FenceMarks, FenceReadOptions } from '../../safety/fence/fence-types.ts'
import { mysqlFenceMarks } from './mysql-fence.ts'
import { createObject, readTriggers, type SchemaObject } from './mysql-objects.ts'

const INVENTORY_SQL = `
SELECT t.TABLE_SCHEMA AS db, t.TABLE_NAME AS name,
       CAST(COALESCE(t.TABLE_ROWS, 0) AS CHAR) AS estimated_rows,
       CAST(COALESCE(t.DATA_LENGTH, 0) + COALESCE(t.INDEX_LENGTH, 0) AS CHAR) AS bytes,
       (SELECT GROUP_CONCAT(s.COLUMN_NAME ORDER BY s.SEQ_IN_INDEX SEPARATOR '\\n')
          FROM information_schema.STATISTICS s
         WHERE s.TABLE_SCHEMA = t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME AND s.INDEX_NAME = 'PRIMARY') AS primary_key
  FROM information_schema.TABLES t
 WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
 ORDER BY COALESCE(t.DATA_LENGTH, 0) + COALESCE(t.INDEX_LENGTH, 0) DESC, t.TABLE_NAME`

/**
 * One connection. A MySQL "schema" is a database: TableRef.schema carries the name of the
 * database the table was listed in (for keys and reports), and every statement works on
 * the session's own database, so the same TableRef names the table on production,
 * staging and the shadow.
 */
export class MysqlSession implements Session {
  constructor(readonly conn: MysqlConn) {}

  async fingerprint(): Promise<string> {
    const rows = await this.conn.query(FINGERPRINT_SQL)
    return fingerprintLines(rows.map((r) => String(r.line)))
  }

  async inventory(): Promise<TableInfo[]> {
    const rows = await this.conn.query(INVENTORY_SQL)
    return rows.map((r) => ({
      schema: r.db!,
      name: r.name!,
      estimatedRows: Number(r.estimated_rows),
      bytes: Number(r.bytes),
      primaryKey: r.primary_key ? r.primary_key.split('\n') : [],
    }))
  }

  readTable(table: TableRef, range?: PartRange): Promise<TableReader> {
    return readTable(this.conn, table, range)
  }

  writeTable(table: TableRef, source: Readable, through: Transform[], options?: WriteOptions): Promise<number> {
    return writeTable(this.conn, table, source, through, options)
  }

  async checksum(table: TableRef, range?: PartRange): Promise<TableChecksum> {
    const [row] = await this.conn.query(checksumSql(table.name, await tableColumns(this.conn, table), partWhere(range)))
    return { rows: Number(row!.rows), digest: row!.digest! }
  }

  tableDependencies(): Promise<TableDependencies> { return mysqlTableDependencies(this.conn) }
  partBasis(table: TableInfo): Promise<PartBasis | null> { return mysqlPartBasis(this.conn, table) }

  // Row transforms, expectations (mysql-rows.ts).
  columns(table: TableRef): Promise<ColumnInfo[]> { return rows.mysqlColumns(this.conn, table) }
  readRows(table: TableRef, options?: ReadRowsOptions): Promise<RowReader> { return rows.readRows(this.conn, table, options) }
  writeRows(table: TableRef, columns: readonly ColumnInfo[], source: Readable, counter?: (bytes: number) => void): Promise<number> {
    return rows.writeRows(this.conn, table, columns, source, counter)
  }
  checksumSpan(table: TableRef, key: readonly string[], span: KeySpan): Promise<TableChecksum> { return locate.checksumSpan(this.conn, table, key, span) }
  spanBoundaries(table: TableRef, key: readonly string[], span: KeySpan, parts: number): Promise<string[][]> {
    return locate.spanBoundaries(this.conn, table, key, span, parts)
  }
  rowsInSpan(table: TableRef, key: readonly string[], span: KeySpan, limit: number): Promise<Record<string, string | null>[]> {
    return locate.rowsInSpan(this.conn, table, key, span, limit)
  }
  keyBounds(table: TableRef, key: string): Promise<{ min: string | null; max: string | null }> { return rows.keyBounds(this.conn, table, key) }
  queryValue(sql: string): Promise<string | null> { return rows.queryValue(this.conn, sql) }
  async truncate(table: TableRef): Promise<void> {
    await this.conn.query('SET SESSION foreign_key_checks = 0')
    try {
      await this.conn.query(`TRUNCATE TABLE ${quoteIdent(table.name)}`)
    } finally {
      await this.conn.query('SET SESSION foreign_key_checks = 1')
    }
  }
  async triggersOf(tables: readonly TableRef[]): Promise<unknown[]> {
    const names = new Set(tables.map((t) => t.name))
    return (await readTriggers(this.conn)).filter((t) => names.has(t.table ?? ''))
  }
  async dropTriggers(triggers: readonly unknown[]): Promise<void> {
    for (const t of triggers as SchemaObject[]) await this.conn.query(`DROP TRIGGER IF EXISTS ${quoteIdent(t.name)}`)
  }
  async createTriggers(triggers: readonly unknown[]): Promise<void> {
    for (const t of triggers as SchemaObject[]) {
      await this.conn.query(`DROP TRIGGER IF EXISTS ${quoteIdent(t.name)}`)
      await createObject(this.conn, t)
    }
  }
  async dropTable(table: TableRef): Promise<void> {
    await this.conn.query('SET SESSION foreign_key_checks = 0')
    try {
      await this.conn.query(`DROP TABLE IF EXISTS ${quoteIdent(table.name)}`)
    } finally {
      await this.conn.query('SET SESSION foreign_key_checks = 1')
    }
  }
  async rowCount(table: TableRef): Promise<number> {
    return Number((await this.conn.query(`SELECT COUNT(*) AS n FROM ${quoteIdent(table.name)}`))[0]!.n)
  }
  definitions(): Promise<Map<string, string>> { return rows.definitions(this.conn) }
  danglingReferences() { return rows.danglingReferences(this.conn) }

  /**
   * The next value of every AUTO_INCREMENT counter (TRUNCATE and a load do not keep them) and
   * of every MariaDB sequence object (its first value not yet cached, as after a restart).
   */
  async sequences(): Promise<SequenceValue[]> {
    const rows = await this.conn.query(`
      SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type, CAST(AUTO_INCREMENT AS CHAR) AS next
        FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = DATABASE() AND (TABLE_TYPE = 'SEQUENCE' OR (TABLE_TYPE = 'BASE TABLE' AND AUTO_INCREMENT IS NOT NULL))
       ORDER BY TABLE_NAME`)
    const values: SequenceValue[] = []
    for (const r of rows) {
      if (r.type !== 'SEQUENCE') {
        values.push({ schema: r.db!, name: r.name!, lastValue: r.next!, isCalled: false })
        continue
      }
      const [seq] = await this.conn.query(`SELECT CAST(next_not_cached_value AS CHAR) AS next,
          CONCAT('start ', start_value, ' increment ', increment, ' min ', minimum_value, ' max ', maximum_value,
                 ' cache ', cache_size, IF(cycle_option, ' cycle', '')) AS options FROM ${quoteIdent(r.name!)}`)
      values.push({ schema: r.db!, name: r.name!, lastValue: seq!.next!, isCalled: false, options: seq!.options! })
    }
    return values
  }

  async setSequences(values: readonly SequenceValue[]): Promise<void> {
    const kinds = new Map(
      (await this.conn.query("SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"))
        .map((r) => [r.name!, r.type!]))
    for (const v of values) {
      if (!/^-?\d+$/.test(v.lastValue)) continue
      const target = quoteIdent(v.name)
      if (kinds.get(v.name) === 'SEQUENCE') await this.conn.query(`SELECT SETVAL(${target}, ${v.lastValue}, 0)`)
      // Never below max(id) + 1: the server raises a lower value to that.
      else if (kinds.get(v.name) === 'BASE TABLE') await this.conn.query(`ALTER TABLE ${target} AUTO_INCREMENT = ${v.lastValue}`)
    }
  }

  async analyze(tables: readonly TableRef[]): Promise<void> {
    const names = new Set((await this.inventory()).map((t) => t.name))
    for (const table of tables) {
      if (names.has(table.name)) await this.conn.query(`ANALYZE TABLE ${quoteIdent(table.name)}`)
    }
  }

  /** Write-fence marks (mysql-fence.ts). */
  fenceMarks(tables: readonly TableRef[], options: FenceReadOptions): Promise<FenceMarks> {
    return mysqlFenceMarks(this.conn, tables, options)
  }

  async close(): Promise<void> {
    await this.conn.close().catch(() => {})
  }
}
