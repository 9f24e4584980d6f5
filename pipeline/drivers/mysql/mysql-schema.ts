import { writeFile } from 'node:fs/promises'
import type { Endpoint } from '../../endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { SchemaCopyOptions, SchemaSection } from '../driver.ts'
import { describe, type MysqlConn, mysqlConnect, quoteIdent, sessionSqlMode } from './mysql-connect.ts'
import { createObject, createViews, readRoutines, readTables, readTriggers, readViews, type SchemaObject, scriptOf } from './mysql-objects.ts'

/** What one section consists of, read from the source database. */
async function sectionObjects(from: MysqlConn, section: SchemaSection): Promise<SchemaObject[]> {
  const tables = await readTables(from)
  if (section === 'pre-data') {
    return [
      ...await readRoutines(from),
      ...tables.map((t): SchemaObject => ({ kind: 'table', name: t.name, sql: t.split.create })),
      ...await readViews(from),
    ]
  }
  // Indexes first, on every table: a foreign key needs the referenced table's index.
  const alter = (name: string, clauses: readonly string[]): SchemaObject[] =>
    clauses.length ? [{ kind: 'table', name, sql: `ALTER TABLE ${quoteIdent(name)}\n  ${clauses.join(',\n  ')}` }] : []
  return [
    ...tables.flatMap((t) => alter(t.name, t.split.indexes)),
    ...tables.flatMap((t) => alter(t.name, t.split.foreignKeys)),
    ...await readTriggers(from),
  ]
}

/**
 * Copies one section of the schema: pre-data is routines, tables without secondary indexes
 * and foreign keys (AUTO_INCREMENT counters kept in the CREATE), and views; post-data is one
 * ALTER TABLE per table for its indexes, one per table for its foreign keys (checks off: the
 * rows were verified elsewhere), then triggers, which must not fire during the load.
 * Events are not copied: they stay with the live database. The SQL applied is saved.
 */
export async function copySchema(from: Endpoint, to: Endpoint, section: SchemaSection, options: SchemaCopyOptions): Promise<void> {
  const source = await mysqlConnect(from)
  let objects: SchemaObject[]
  try {
    objects = await sectionObjects(source, section)
  } catch (error) {
    if (error instanceof DrydockError) throw error
    throw new DrydockError('DD_SCHEMA_DUMP_FAILED', `reading the ${section} schema of ${describe(from)} failed: ${(error as Error).message}`, {
      stage: 'schema',
    }, { cause: error })
  } finally {
    await source.close()
  }
  const target = await mysqlConnect(to)
  const applied: SchemaObject[] = []
  const header = [`drydock ${section} schema of ${describe(from)}, applied to ${describe(to)}`, `session sql_mode: ${sessionSqlMode()}`]
  try {
    await target.query('SET SESSION foreign_key_checks = 0')
    const views = objects.filter((o) => o.kind === 'view')
    for (const object of objects.filter((o) => o.kind !== 'view')) {
      await applyOne(target, object, to, section)
      applied.push(object)
    }
    applied.push(...await createViews(target, views).catch((error) => {
      throw applyError(error, views[0]!, to, section)
    }))
  } finally {
    await writeFile(options.saveAs, scriptOf(applied, header), { mode: 0o600 })
    await target.close()
  }
}

async function applyOne(conn: MysqlConn, object: SchemaObject, to: Endpoint, section: SchemaSection): Promise<void> {
  try {
    await createObject(conn, object)
  } catch (error) {
    throw applyError(error, object, to, section)
  }
}

function applyError(error: unknown, object: SchemaObject, to: Endpoint, section: SchemaSection): DrydockError {
  const head = object.sql.split('\n').slice(0, 3).join('\n')
  return new DrydockError('DD_SCHEMA_APPLY_FAILED', `applying the ${section} schema on ${describe(to)} failed at ${object.kind} ${quoteIdent(object.name)}: ${(error as Error).message}\n${head}`, {
    stage: 'schema', hint: 'the SQL applied so far is in the run directory (schema/)',
  }, { cause: error })
}
