import { join } from 'node:path'
import type { ContextFor } from '../../run-state/context.ts'
import type { SchemaSection, TableChecksum, TableInfo } from '../../drivers/driver.ts'
import { DrydockError, inStage } from '../../errors.ts'
import { runUnit, snapshotSlots, type Slot } from '../../safety/faults/slots.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import { forEachWithSlot } from '../../util/pool.ts'
import type { RefreshedTable } from '../../run-state/prestage-records.ts'
import { copyAgain } from './refresh-copy.ts'

/**
 * Tables created on production since the prestage: their definition (as of the new snapshot)
 * onto staging, their rows copied whole and checksummed on both sides, then their indexes,
 * constraints and triggers. A table a killed attempt half-created is dropped and made again.
 */
export async function createTables(ctx: ContextFor<'snapshot' | 'staging'>, created: readonly TableInfo[], carried: ReadonlySet<TableInfo>, staging: readonly Slot[]): Promise<RefreshedTable[]> {
  for (const table of created) await staging[0]!.session.dropTable(table)
  await copyTablesSchema(ctx, created, 'pre-data')
  const sources = snapshotSlots(ctx)
  const pairs = sources.slice(0, staging.length).map((s, i) => [s, staging[i]!] as const)
  const results = new Map<string, { rows: number; sum: TableChecksum; ms: number }>()
  await forEachWithSlot(created, pairs, async (table, pair) => {
    const started = Date.now()
    const key = tableKey(table)
    if (!carried.has(table)) {
      const sum = await runUnit(ctx, `checksum ${key} on staging`, pair[1], { stage: 'refresh', table: key }, (s) => s.checksum(table))
      results.set(key, { rows: 0, sum, ms: Date.now() - started })
      return
    }
    const copied = await copyAgain(ctx, pair, table, undefined)
    const production = await runUnit(ctx, `checksum ${key} on production`, pair[0], { stage: 'refresh', table: key }, (s) => s.checksum(table))
    if (production.rows !== copied.staging.rows || production.digest !== copied.staging.digest) {
      throw new DrydockError('DD_VERIFY_MISMATCH', `refresh: new table ${key}: ${production.rows} rows on production, ${copied.staging.rows} on staging after the copy`, {
        stage: 'refresh', table: key, hint: 'production has not been touched; resume to copy it again',
      })
    }
    results.set(key, { rows: copied.rows, sum: production, ms: Date.now() - started })
  }, ctx.signal)
  await copyTablesSchema(ctx, created, 'post-data')
  await ctx.manifest.update((m) => {
    for (const table of created) {
      const key = tableKey(table)
      const { sum } = results.get(key)!
      const isCarried = carried.has(table)
      m.tables[key] = {
        schema: table.schema, name: table.name, carried: isCarried, primaryKey: table.primaryKey, estimatedRows: table.estimatedRows,
        bytes: table.bytes, loaded: true, staging: sum, ...(isCarried ? { source: sum } : {}),
      }
      if (isCarried) m.prestage!.parts[key] = [{ sum }]
    }
  })
  return created.map((table) => {
    const key = tableKey(table)
    const r = results.get(key)!
    return {
      table: key, action: 'created', parts: carried.has(table) ? 1 : 0, ofParts: 1, rows: r.rows, ms: r.ms,
      reason: carried.has(table) ? 'created on production since the prestage: definition and rows copied' : 'created on production since the prestage (left out by tables.include/exclude: definition only)',
    }
  })
}

async function copyTablesSchema(ctx: ContextFor<'snapshot' | 'staging'>, tables: readonly TableInfo[], section: SchemaSection): Promise<void> {
  try {
    await ctx.driver.copySchema(ctx.config.source, ctx.staging, section, {
      snapshot: ctx.snapshot.id, tables, saveAs: join(ctx.paths.schemaDir, `refresh-${section}.sql`), logFile: ctx.paths.toolLog, jobs: 1,
    })
  } catch (error) {
    throw inStage('refresh', error)
  }
}
