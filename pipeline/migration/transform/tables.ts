import type { TableInfo } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import type { ErrorCode } from '../../error-codes.ts'

/**
 * The table a user names: `schema.table` exactly, else the one table of that name in any
 * schema (MySQL: the session's database). Ambiguous and unknown names are errors that list
 * what exists.
 */
export function resolveTable(tables: readonly TableInfo[], name: string, what: string, code: ErrorCode = 'DD_TRANSFORM_FAILED'): TableInfo {
  const exact = tables.find((t) => tableKey(t) === name)
  if (exact) return exact
  const byName = tables.filter((t) => t.name === name)
  if (byName.length === 1) return byName[0]!
  if (byName.length > 1) {
    throw new DrydockError(code, `${what}: table name ${name} is ambiguous (in schemas ${byName.map((t) => t.schema).join(', ')}); write schema.table`)
  }
  const known = tables.map((t) => t.name).sort().slice(0, 40).join(', ')
  throw new DrydockError(code, `${what}: no table ${name} on staging (tables: ${known || 'none'})`)
}
