import { DrydockError } from '../../errors.ts'
import { errno, type MysqlConn, quoteIdent, quoteString } from './mysql-connect.ts'
import { splitCreateTable, type SplitTable } from './mysql-create-table.ts'
import { declaredIndexes } from './mysql-fk-indexes.ts'

/** A statement that recreates one object; `sqlMode` is the mode it was created under. */
export interface SchemaObject {
  readonly kind: 'routine' | 'table' | 'view' | 'trigger'
  readonly name: string
  readonly sql: string
  readonly sqlMode?: string
  /** Triggers: the table it belongs to. */
  readonly table?: string
  /**
   * Adjacent objects of one batch do not depend on each other and may be applied over several
   * connections at once (post-data: the per-table index ALTERs).
   */
  readonly batch?: string
}

function missingDefinition(kind: string, name: string, user: string): DrydockError {
  return new DrydockError('DD_SCHEMA_DUMP_FAILED', `cannot read the definition of ${kind} ${quoteIdent(name)}: user "${user}" lacks the privilege to see it`, {
    stage: 'schema', hint: 'run drydock as an account that can SHOW CREATE every object of the database (SELECT, SHOW VIEW, TRIGGER, and routine access)',
  })
}

/** Stored functions and procedures of the connection's database. */
export async function readRoutines(conn: MysqlConn): Promise<SchemaObject[]> {
  const rows = await conn.query(`
    SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
     WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE') ORDER BY ROUTINE_TYPE, ROUTINE_NAME`)
  const out: SchemaObject[] = []
  for (const r of rows) {
    const [def] = await conn.query(`SHOW CREATE ${r.type} ${quoteIdent(r.name!)}`)
    const sql = def?.[r.type === 'FUNCTION' ? 'Create Function' : 'Create Procedure']
    if (!sql) throw missingDefinition(r.type!.toLowerCase(), r.name!, conn.endpoint.user)
    out.push({ kind: 'routine', name: `${r.type} ${r.name}`, sql, sqlMode: def!.sql_mode ?? '' })
  }
  return out
}

/**
 * Views with their DEFINER and SQL SECURITY. A view whose definer may not read its tables
 * (a locked account without rights on the shadow, say) is printed with its own database
 * named in the column references; recreated elsewhere it would point back there, so its own
 * database's name is taken out: the view uses the tables of whatever database holds it.
 */
export async function readViews(conn: MysqlConn): Promise<SchemaObject[]> {
  const rows = await conn.query(`SELECT TABLE_NAME AS name, DATABASE() AS db FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`)
  const out: SchemaObject[] = []
  for (const r of rows) {
    const [def] = await conn.query(`SHOW CREATE VIEW ${quoteIdent(r.name!)}`)
    if (!def?.['Create View']) throw missingDefinition('view', r.name!, conn.endpoint.user)
    out.push({ kind: 'view', name: r.name!, sql: def['Create View'].split(`${quoteIdent(r.db!)}.`).join('') })
  }
  return out
}

export async function readTriggers(conn: MysqlConn): Promise<SchemaObject[]> {
  const rows = await conn.query(`
    SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl FROM information_schema.TRIGGERS
     WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`)
  const out: SchemaObject[] = []
  for (const r of rows) {
    const [def] = await conn.query(`SHOW CREATE TRIGGER ${quoteIdent(r.name!)}`)
    if (!def?.['SQL Original Statement']) throw missingDefinition('trigger', r.name!, conn.endpoint.user)
    out.push({ kind: 'trigger', name: r.name!, table: r.tbl!, sql: def['SQL Original Statement'], sqlMode: def.sql_mode ?? '' })
  }
  return out
}

/**
 * Base tables and (MariaDB) sequences, sequences first: a column default may call NEXTVAL.
 * A sequence is read with SHOW CREATE SEQUENCE (SHOW CREATE TABLE drops its options).
 */
export async function readTables(conn: MysqlConn): Promise<{ name: string; split: SplitTable }[]> {
  const rows = await conn.query(`
    SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, IFNULL(CREATE_OPTIONS, '') AS options FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE')
     ORDER BY TABLE_TYPE = 'BASE TABLE', TABLE_NAME`)
  const [current] = await conn.query('SELECT DATABASE() AS db')
  const out: { name: string; split: SplitTable }[] = []
  const creates = new Map<string, string>()
  for (const r of rows) {
    if (r.type === 'SEQUENCE') {
      const [def] = await conn.query(`SHOW CREATE SEQUENCE ${quoteIdent(r.name!)}`)
      out.push({ name: r.name!, split: { create: def!['Create Table']!, indexes: [], foreignKeys: [], implicitIndexes: [] } })
      continue
    }
    const [def] = await conn.query(`SHOW CREATE TABLE ${quoteIdent(r.name!)}`)
    const create = asCreated(ownSequences(def!['Create Table']!, current!.db!), r.engine ?? '', r.options!)
    creates.set(r.name!, create)
    out.push({ name: r.name!, split: splitCreateTable(create, { mariadb: conn.flavor.mariadb }) })
  }
  // Candidates for an index the foreign key made: the server tells which were declared.
  const candidates = new Map(out.filter((t) => t.split.implicitIndexes.length > 0).map((t) => [t.name, t.split.implicitIndexes]))
  const declared = await declaredIndexes(conn, candidates)
  return out.map((t) => {
    const explicit = declared?.get(t.name)
    return explicit && explicit.size > 0 ? { name: t.name, split: splitCreateTable(creates.get(t.name)!, { mariadb: conn.flavor.mariadb, explicit }) } : t
  })
}

/**
 * SHOW CREATE TABLE prints an Aria table's PAGE_CHECKSUM=1 when it comes from the server's
 * default (aria_page_checksum); declared, it would become the table's own option. Left out
 * unless CREATE_OPTIONS says the table was created with it.
 */
export function asCreated(createTable: string, engine: string, createOptions: string): string {
  if (engine.toLowerCase() !== 'aria' || /\bpage_checksum=/i.test(createOptions)) return createTable
  return createTable.replace(/ PAGE_CHECKSUM=1(?=( |\n|$))/, '')
}

/**
 * MariaDB prints a default's sequence qualified with the database (`nextval(\`shop\`.\`seq\`)`);
 * left so, staging's table would draw numbers from production's sequence. Unqualified, it uses
 * the sequence of whatever database the table is created in.
 */
export function ownSequences(createTable: string, database: string): string {
  return createTable.split(`nextval(${quoteIdent(database)}.`).join('nextval(')
}

/** Runs one object's statement under its own sql_mode, then returns to the session's. */
export async function createObject(conn: MysqlConn, object: SchemaObject): Promise<void> {
  if (object.sqlMode === undefined) {
    await conn.query(object.sql)
    return
  }
  const [saved] = await conn.query('SELECT @@SESSION.sql_mode AS mode')
  await conn.query('SET SESSION sql_mode = ?', [object.sqlMode])
  try {
    await conn.query(object.sql)
  } finally {
    await conn.query('SET SESSION sql_mode = ?', [saved!.mode ?? ''])
  }
}

/**
 * Views in an order that works: a view that uses a view not created yet fails with
 * "doesn't exist" and is tried again after the others. Returns them in creation order.
 */
export async function createViews(conn: MysqlConn, views: readonly SchemaObject[]): Promise<SchemaObject[]> {
  let pending = [...views]
  const done: SchemaObject[] = []
  while (pending.length > 0) {
    const failed: { view: SchemaObject; error: unknown }[] = []
    for (const view of pending) {
      try {
        await createObject(conn, view)
        done.push(view)
      } catch (error) {
        if (errno(error) !== 1146 && errno(error) !== 1356) throw error
        failed.push({ view, error })
      }
    }
    if (failed.length === pending.length) throw failed[0]!.error
    pending = failed.map((f) => f.view)
  }
  return done
}

/** The statements as a file the mysql client can replay (routines and triggers need a delimiter). */
export function scriptOf(objects: readonly SchemaObject[], header: string[]): string {
  const out = [...header.map((h) => `-- ${h}`), 'SET NAMES utf8mb4;', 'SET SESSION foreign_key_checks = 0;', '']
  for (const o of objects) {
    if (o.sqlMode !== undefined) out.push(`SET SESSION sql_mode = ${quoteString(o.sqlMode)};`)
    out.push(o.kind === 'routine' || o.kind === 'trigger' ? `DELIMITER ;;\n${o.sql};;\nDELIMITER ;` : `${o.sql};`, '')
  }
  return out.join('\n')
}
