import { createHash } from 'node:crypto'
import type { TableDependencies } from '../driver.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'

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
