import { writeFile } from 'node:fs/promises'
import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { SchemaCopyOptions, SchemaSection } from '../driver.ts'
import { forEachWithSlot } from '../../util/pool.ts'
import { describe, type MysqlConn, type MysqlLink, quoteIdent } from './mysql-connect.ts'
import { createObject, createViews, readRoutines, readTables, readTriggers, readViews, type SchemaObject, scriptOf } from './mysql-objects.ts'

/** What one section consists of, read from the source database. */
async function sectionObjects(from: MysqlConn, section: SchemaSection, only?: readonly string[]): Promise<SchemaObject[]> {
  const tables = (await readTables(from)).filter((t) => !only || only.includes(t.name))
  if (only) {
    // Some tables only (a refresh creating tables that appeared on production): their own objects.
    if (section === 'pre-data') return tables.map((t): SchemaObject => ({ kind: 'table', name: t.name, sql: t.split.create }))
    return [
      ...tables.flatMap((t) => alterOf(t.name, t.split.indexes)),
      ...tables.flatMap((t) => alterOf(t.name, t.split.foreignKeys)),
      ...(await readTriggers(from)).filter((trigger) => only.includes(trigger.table ?? '')),
    ]
  }
  if (section === 'pre-data') {
    return [
      ...await readRoutines(from),
      ...tables.map((t): SchemaObject => ({ kind: 'table', name: t.name, sql: t.split.create })),
      ...await readViews(from),
    ]
  }
  // Indexes first, on every table: a foreign key needs the referenced table's index.
  // The index ALTERs (a sort and build per table) run side by side; the foreign-key ALTERs stay
  // one at a time: with checks off each is a quick metadata change, and two of them may each
  // wait for the other's table (a cycle of references) where MDL would end one as a deadlock.
  const alter = (name: string, clauses: readonly string[], batch?: string): SchemaObject[] =>
    clauses.length ? [{ kind: 'table', name, sql: `ALTER TABLE ${quoteIdent(name)}\n  ${clauses.join(',\n  ')}`, ...(batch ? { batch } : {}) }] : []
  return [
    ...tables.flatMap((t) => alter(t.name, t.split.indexes, 'indexes')),
    ...tables.flatMap((t) => alter(t.name, t.split.foreignKeys)),
    ...await readTriggers(from),
  ]
}

const alterOf = (name: string, clauses: readonly string[]): SchemaObject[] =>
  clauses.length ? [{ kind: 'table', name, sql: `ALTER TABLE ${quoteIdent(name)}\n  ${clauses.join(',\n  ')}` }] : []

/**
 * Copies one section of the schema: pre-data is routines, tables without secondary indexes
 * and foreign keys (AUTO_INCREMENT counters kept in the CREATE), and views; post-data is one
 * ALTER TABLE per table for its indexes, one per table for its foreign keys (checks off: the
 * rows were verified elsewhere), then triggers, which must not fire during the load.
 * Events are not copied here: they stay with the live database (a separate target gets them
 * from mysql-events.ts). The SQL applied is saved.
 */
export async function copySchema(link: MysqlLink, from: Endpoint, to: Endpoint, section: SchemaSection, options: SchemaCopyOptions): Promise<void> {
  const source = await link.connect(from)
  let objects: SchemaObject[]
  try {
    objects = await sectionObjects(source, section, options.tables?.map((t) => t.name))
  } catch (error) {
    if (error instanceof DrydockError) throw error
    throw new DrydockError('DD_SCHEMA_DUMP_FAILED', `reading the ${section} schema of ${describe(from)} failed: ${(error as Error).message}`, {
      stage: 'schema',
    }, { cause: error })
  } finally {
    await source.close()
  }
  const target = await link.connect(to)
  const applied: SchemaObject[] = []
  const header = [`drydock ${section} schema of ${describe(from)}, applied to ${describe(to)}`, `session sql_mode: ${link.sqlMode}`]
  try {
    await target.query('SET SESSION foreign_key_checks = 0')
    const views = objects.filter((o) => o.kind === 'view')
    await applyInBatches(link, target, objects.filter((o) => o.kind !== 'view'), to, section, options.jobs ?? 1, applied)
    applied.push(...await createViews(target, views).catch((error) => {
      throw applyError(error, views[0]!, to, section)
    }))
  } finally {
    await writeFile(options.saveAs, scriptOf(applied, header), { mode: 0o600 })
    await target.close()
  }
}

/**
 * Applies objects in order; a run of adjacent objects of one batch (one ALTER TABLE per table)
 * goes over up to `jobs` connections at once, the largest tables first (the longest builds
 * start first, so the last one to finish is a short one). `applied` keeps the list order
 * whatever the completion order, so the saved script replays as written.
 */
async function applyInBatches(
  link: MysqlLink, target: MysqlConn, objects: readonly SchemaObject[], to: Endpoint, section: SchemaSection, jobs: number, applied: SchemaObject[],
): Promise<void> {
  for (let i = 0; i < objects.length;) {
    const batch = objects[i]!.batch
    let end = i + 1
    while (batch !== undefined && end < objects.length && objects[end]!.batch === batch) end++
    const group = objects.slice(i, end)
    if (group.length === 1 || jobs <= 1) {
      for (const object of group) {
        await applyOne(target, object, to, section)
        applied.push(object)
      }
    } else {
      const extra = await Promise.all(Array.from({ length: Math.min(jobs, group.length) - 1 }, async () => {
        const conn = await link.connect(to)
        await conn.query('SET SESSION foreign_key_checks = 0')
        return conn
      }))
      try {
        const sizes = new Map((await target.query(`SELECT TABLE_NAME AS name, CAST(DATA_LENGTH AS CHAR) AS bytes
          FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`)).map((r) => [r.name!, Number(r.bytes)]))
        const largestFirst = [...group].sort((a, b) => (sizes.get(b.name) ?? 0) - (sizes.get(a.name) ?? 0))
        await forEachWithSlot(largestFirst, [target, ...extra], (object, conn) => applyOne(conn, object, to, section))
      } finally {
        await Promise.all(extra.map((c) => c.close()))
      }
      applied.push(...group)
    }
    i = end
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
