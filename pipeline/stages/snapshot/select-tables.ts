import type { TableInfo } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'

function toRegExp(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  return new RegExp(`^${body}$`)
}

/** `schema.table` or `table`, with `*` as a wildcard. */
function matches(pattern: string, table: TableInfo): boolean {
  const re = toRegExp(pattern)
  return re.test(`${table.schema}.${table.name}`) || (!pattern.includes('.') && re.test(table.name))
}

/**
 * Which tables' rows are carried. An include pattern that matches nothing is an error: a
 * typo there would silently empty a table.
 */
export function selectCarried(tables: readonly TableInfo[], include: readonly string[], exclude: readonly string[]): Set<TableInfo> {
  const unmatched = include.filter((p) => !tables.some((t) => matches(p, t)))
  if (unmatched.length > 0) {
    throw new DrydockError('DD_TABLE_NOT_FOUND', `tables.include names no existing table: ${unmatched.join(', ')}`, {
      stage: 'snapshot', hint: 'fix tables.include in the config (patterns are schema.table or table, * matches anything)',
    })
  }
  return new Set(tables.filter((t) =>
    (include.length === 0 || include.some((p) => matches(p, t))) && !exclude.some((p) => matches(p, t))))
}
