import type { Session, TableInfo } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import type { ResolvedTransform, Row } from './define-transform.ts'
import { resolveTable } from './tables.ts'

export interface LoadedLookups {
  maps: Record<string, ReadonlyMap<string, Row>>
  counts: { name: string; table: string; rows: number }[]
}

/** A key value as the Map's key: the text, or the hex of bytes. */
export const lookupKey = (value: Row[string]): string | undefined =>
  value === null ? undefined : typeof value === 'string' ? value : value.toString('hex')

/**
 * Loads every lookup of a transform once, before any row is transformed: at most `maxRows`
 * rows each (memory stays bounded; lookups are for small tables), keyed by the key column's
 * text. A duplicate key is an error: the key must be unique.
 */
export async function loadLookups(session: Session, tables: readonly TableInfo[], spec: ResolvedTransform): Promise<LoadedLookups> {
  const maps: Record<string, ReadonlyMap<string, Row>> = {}
  const counts: LoadedLookups['counts'] = []
  for (const lookup of spec.lookups) {
    const table = resolveTable(tables, lookup.table, `transform ${spec.name}, lookup ${lookup.name}`)
    const columns = lookup.columns && !lookup.columns.includes(lookup.key) ? [lookup.key, ...lookup.columns] : lookup.columns
    const reader = await session.readRows(table, { ...(columns ? { columns } : {}), limit: lookup.maxRows + 1 })
    const map = new Map<string, Row>()
    let rows = 0
    for await (const row of reader.stream as AsyncIterable<Row>) {
      if (++rows > lookup.maxRows) {
        reader.stream.destroy()
        throw new DrydockError('DD_TRANSFORM_FAILED', `transform ${spec.name}: lookup ${lookup.name} (${table.schema}.${table.name}) has more than ${lookup.maxRows} rows`, {
          table: `${table.schema}.${table.name}`,
          hint: 'lookups are loaded into memory and meant for small tables: keep only the columns you need and raise lookups.<name>.maxRows, or use source.join for a table as large as the source',
        })
      }
      const key = lookupKey(row[lookup.key] ?? null)
      if (key === undefined) continue
      if (map.has(key)) {
        reader.stream.destroy()
        throw new DrydockError('DD_TRANSFORM_FAILED', `transform ${spec.name}: lookup ${lookup.name} key ${lookup.key} is not unique in ${table.schema}.${table.name} (${key} appears twice)`, {
          table: `${table.schema}.${table.name}`, hint: 'use a unique column as the lookup key',
        })
      }
      map.set(key, row)
    }
    maps[lookup.name] = map
    counts.push({ name: lookup.name, table: `${table.schema}.${table.name}`, rows: map.size })
  }
  return { maps, counts }
}
