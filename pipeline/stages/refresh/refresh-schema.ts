import type { TableInfo } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import { type Manifest, tableKey } from '../../run-state/run-dir.ts'

export interface SchemaDiff {
  /** On production now, not on staging: created from production's definition and copied whole. */
  readonly created: readonly TableInfo[]
  /** On staging, gone from production: dropped on staging. */
  readonly dropped: readonly string[]
}

/**
 * What changed in production's schema since the prestage. New and dropped tables are
 * followed; a table whose columns or key changed, or any other change (indexes, constraints,
 * views) while the tables stayed the same, is refused: staging could no longer be proven to
 * hold production's schema, and the migration would run on a different one.
 */
export function schemaDiff(m: Manifest, now: readonly TableInfo[], definitions: Record<string, string>, fingerprint: string): SchemaDiff {
  const prestaged = m.prestage!
  const onStaging = new Set(Object.keys(m.tables))
  const nowKeys = new Set(now.map(tableKey))
  const created = now.filter((t) => !onStaging.has(tableKey(t)))
  const dropped = [...onStaging].filter((key) => !nowKeys.has(key))
  const changed = now.filter((t) => onStaging.has(tableKey(t)) && prestaged.definitions[tableKey(t)] !== undefined
    && prestaged.definitions[tableKey(t)] !== definitions[tableKey(t)]).map(tableKey)
  if (changed.length > 0) {
    throw new DrydockError('DD_REFRESH_SCHEMA_CHANGED', `refresh: the definition of ${changed.length} table(s) changed on production since the prestage (columns, types or primary key): ${changed.join(', ')}`, {
      stage: 'refresh', table: changed.join(', '),
      hint: 'staging holds the prestaged definition and the migration was written for it: undo that change on production and resume, or --cleanup this run and --prestage again',
    })
  }
  const sameTables = now.length === Object.keys(prestaged.definitions).length && now.every((t) => prestaged.definitions[tableKey(t)] !== undefined)
  if (sameTables && prestaged.snapshot.fingerprint && fingerprint !== prestaged.snapshot.fingerprint) {
    throw new DrydockError('DD_REFRESH_SCHEMA_CHANGED', 'refresh: the schema of production changed since the prestage (indexes, constraints, triggers or views differ; the tables are the same)', {
      stage: 'refresh',
      hint: 'staging holds the prestaged schema and the migration was written for it: undo that change on production and resume, or --cleanup this run and --prestage again',
    })
  }
  return { created, dropped }
}
