import { createHash } from 'node:crypto'
import type { TableDependencies } from '../driver.ts'
import type { Endpoint } from '../../config/endpoint.ts'
import { type MysqlConn, type MysqlLink, quoteIdent } from './mysql-connect.ts'

/**
 * Per base table of the session's database: a digest of SHOW CREATE TABLE (AUTO_INCREMENT
 * counter left out) and of its triggers; foreign-key edges; tables named by views (a
 * conservative match of the quoted name in the view's text). Keys are `database.table`.
 */
export async function mysqlTableDependencies(conn: MysqlConn): Promise<TableDependencies> {
  const db = (await conn.query('SELECT DATABASE() AS db'))[0]!.db!
  const key = (name: string) => `${db}.${name}`
  const tables = await conn.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1")
  const triggers = await conn.query(`
    SELECT EVENT_OBJECT_TABLE AS tbl, CONCAT_WS('|', TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, SQL_MODE, ACTION_STATEMENT) AS def
      FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER, TRIGGER_NAME`)
  const definitions = new Map<string, string>()
  for (const { name } of tables) {
    const [row] = await conn.query(`SHOW CREATE TABLE ${quoteIdent(name!)}`)
    const text = [row!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, ''), ...triggers.filter((t) => t.tbl === name).map((t) => t.def!)].join('\n')
    definitions.set(key(name!), createHash('sha256').update(text).digest('hex'))
  }
  const edges = await conn.query(`
    SELECT TABLE_NAME AS f, REFERENCED_TABLE_NAME AS t, UNIQUE_CONSTRAINT_SCHEMA AS s
      FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`)
  const references = edges.map((e) => ({ from: key(e.f!), to: e.s === db ? key(e.t!) : null }))
  const views = await conn.query('SELECT VIEW_DEFINITION AS body FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()')
  const inViews = new Set(tables.filter(({ name }) => views.some((v) => (v.body ?? '').includes(quoteIdent(name!)))).map(({ name }) => key(name!)))
  return { definitions, references, inViews }
}

/** A foreign key as information_schema describes it; enough to create it again. */
export interface ForeignKey {
  readonly table: string
  readonly name: string
  readonly columns: string[]
  readonly refSchema: string
  readonly refTable: string
  readonly refColumns: string[]
  readonly onUpdate: string
  readonly onDelete: string
}

/** The foreign keys of the tables in database `schema`. */
async function foreignKeysOf(conn: MysqlConn, schema: string): Promise<ForeignKey[]> {
  const rows = await conn.query(`
    SELECT k.TABLE_NAME AS tbl, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_SCHEMA AS ref_schema,
           k.REFERENCED_TABLE_NAME AS ref, k.REFERENCED_COLUMN_NAME AS refcol, r.UPDATE_RULE AS on_update, r.DELETE_RULE AS on_delete
      FROM information_schema.KEY_COLUMN_USAGE k
      JOIN information_schema.REFERENTIAL_CONSTRAINTS r
        ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
     WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
     ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`, [schema])
  const keys = new Map<string, ForeignKey>()
  for (const r of rows) {
    const id = `${r.tbl}\u0000${r.name}`
    const key = keys.get(id) ?? { table: r.tbl!, name: r.name!, columns: [], refSchema: r.ref_schema!, refTable: r.ref!, refColumns: [], onUpdate: r.on_update!, onDelete: r.on_delete! }
    key.columns.push(r.col!)
    key.refColumns.push(r.refcol!)
    keys.set(id, key)
  }
  return [...keys.values()]
}

const list = (names: readonly string[]) => names.map(quoteIdent).join(', ')

/**
 * A rule clause, left out for RESTRICT (the default): MariaDB stores an explicit `RESTRICT`
 * added by ALTER with checks off as NO ACTION.
 */
export function ruleClause(event: 'DELETE' | 'UPDATE', rule: string): string {
  return rule === 'RESTRICT' ? '' : ` ON ${event} ${rule}`
}

/** Re-creates `key` on `schema`.`key.table`, referencing `refSchema`.`key.refTable`. Checks must be off. */
async function addKey(conn: MysqlConn, schema: string, key: ForeignKey, refSchema: string): Promise<void> {
  await conn.query(`ALTER TABLE ${quoteIdent(schema)}.${quoteIdent(key.table)} ADD CONSTRAINT ${quoteIdent(key.name)}
    FOREIGN KEY (${list(key.columns)}) REFERENCES ${quoteIdent(refSchema)}.${quoteIdent(key.refTable)} (${list(key.refColumns)})`
    + ruleClause('DELETE', key.onDelete) + ruleClause('UPDATE', key.onUpdate))
}

async function dropKey(conn: MysqlConn, schema: string, key: ForeignKey): Promise<void> {
  await conn.query(`ALTER TABLE ${quoteIdent(schema)}.${quoteIdent(key.table)} DROP FOREIGN KEY ${quoteIdent(key.name)}`)
}

/**
 * Foreign keys of the shadow's copied tables that reference a kept table point, after the
 * schema was applied, at that table's empty twin in the shadow. Each is re-created to
 * reference the live table instead (`live`.`t`: a reference across databases, which the swap's
 * rename turns into an ordinary one). With checks off this changes metadata only; two
 * statements, since one ALTER may not drop and re-add a key of one name (the shadow is not live).
 */
export async function repointReferences(link: MysqlLink, shadow: Endpoint, live: string, keep: readonly string[]): Promise<number> {
  if (keep.length === 0) return 0
  const conn = await link.connect(shadow)
  try {
    await conn.query('SET SESSION foreign_key_checks = 0')
    const kept = new Set(keep)
    const keys = (await foreignKeysOf(conn, shadow.database)).filter((k) => k.refSchema === shadow.database && kept.has(k.refTable) && !kept.has(k.table))
    for (const key of keys) {
      await dropKey(conn, shadow.database, key)
      await addKey(conn, shadow.database, key, live)
    }
    return keys.length
  } finally {
    await conn.close()
  }
}

/**
 * After a swap that kept tables: the old tables parked in `parked` may reference kept tables of
 * `live` across databases, and would then block deletes in live tables. Those keys are dropped
 * and returned, so that a rollback can put them back (restoreKeys) once the tables are live again.
 */
export async function parkCrossKeys(conn: MysqlConn, parked: string, live: string): Promise<ForeignKey[]> {
  const keys = (await foreignKeysOf(conn, parked)).filter((k) => k.refSchema === live)
  for (const key of keys) await dropKey(conn, parked, key)
  return keys
}

/** Puts back keys parkCrossKeys took off, on tables that are live again (`live`). */
export async function restoreKeys(conn: MysqlConn, live: string, keys: readonly ForeignKey[]): Promise<void> {
  for (const key of keys) await addKey(conn, live, key, live)
}
