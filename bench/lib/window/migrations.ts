/**
 * The window bench's migrations, each runnable two ways: as drydock migration steps, and in
 * place on production with the driver's own SQL-file runner (psql --single-transaction per
 * file / the mariadb client, as drydock's migrate stage runs them on staging).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { patchworkSteps } from '../../../fixtures/patchwork/upgrades.ts'
import type { MigrationStep } from '../../../pipeline/config/config.ts'
import { driverFor } from '../../../pipeline/drivers/registry.ts'
import { parseEndpoint } from '../../../pipeline/config/endpoint.ts'
import { expandSqlFiles } from '../../../pipeline/migration/sql-files.ts'
import type { ProductionServer } from './production-server.ts'

export type MigrationKind = 'patchwork' | 'small'

/**
 * The table the one-small-table migration changes by default: small (67k rows of integers per
 * scale) and referenced by no other table, so that on MariaDB it alone has to be copied back.
 * `--small-table patchwork_person` picks one that every big table references instead.
 */
export const SMALL_TABLE = 'patchwork_patchtag'

export function migrationSteps(kind: MigrationKind, engine: 'pg' | 'mysql', workDir: string, smallTable = SMALL_TABLE): MigrationStep[] {
  if (kind === 'patchwork') return patchworkSteps(engine === 'pg' ? 'postgres' : 'mysql', 'sql')
  mkdirSync(workDir, { recursive: true })
  const file = join(workDir, 'small-table.sql')
  writeFileSync(file, `ALTER TABLE ${smallTable} ADD COLUMN dd_bench_note varchar(64) NULL;\nUPDATE ${smallTable} SET dd_bench_note = 'changed by the bench';\n`)
  return [{ name: `one small table (${smallTable})`, sql: file }]
}

/** Runs the steps' SQL files on production's `db` in order; wall milliseconds. */
export async function runInPlace(server: ProductionServer, db: string, steps: MigrationStep[], logFile: string): Promise<number> {
  const driver = await driverFor(server.engine === 'pg' ? 'postgres' : 'mysql')
  const endpoint = parseEndpoint(server.url(db), 'source')
  const files = steps.flatMap((s) => ('sql' in s && s.sql ? expandSqlFiles(s.sql, s.name ?? 'step') : []))
  const started = Date.now()
  for (const file of files) await driver.runSqlFile(endpoint, file, logFile)
  return Date.now() - started
}

/**
 * Changes 1 % of the rows of the four tables that hold most of the rows, as an application
 * would between a prestage and the window: `recent` (the default) the newest 1 % of ids, where
 * an application's writes land (new patches, their comments and checks, states of recent ones);
 * `scattered` every 100th id, the worst case for key-range refresh parts. Returns the rows changed.
 */
export type ChangePattern = 'recent' | 'scattered'

export async function changeOnePercent(server: ProductionServer, db: string, pattern: ChangePattern = 'recent'): Promise<number> {
  const cat = server.engine === 'pg' ? (a: string, b: string) => `${a} || ${b}` : (a: string, b: string) => `CONCAT(${a}, ${b})`
  const updates = [
    ['patchwork_person', 'name', `${cat("COALESCE(name, '')", "' (1%)'")}`],
    ['patchwork_submission', 'name', cat('name', "' (1%)'")],
    ['patchwork_comment', 'content', cat("COALESCE(content, '')", "' (1%)'")],
    ['patchwork_check', 'description', cat("COALESCE(description, '')", "' (1%)'")],
  ]
  let changed = 0
  for (const [table, column, value] of updates) {
    let where = 'id % 100 = 0'
    if (pattern === 'recent') {
      const [bounds] = await server.sql(db, `SELECT min(id) AS lo, max(id) AS hi FROM ${table}`)
      const lo = Number(bounds!.lo ?? 0)
      const hi = Number(bounds!.hi ?? 0)
      where = `id > ${hi - Math.ceil((hi - lo + 1) / 100)}`
    }
    // Every matching row changes (a suffix is appended), so the count before is the count changed.
    changed += Number((await server.sql(db, `SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]!.n)
    await server.sql(db, `UPDATE ${table} SET ${column} = ${value} WHERE ${where}`)
  }
  return changed
}
