import { derivedName } from '../../stages/loadback/shadow-names.ts'

/**
 * Schemas drydock creates inside a live database for the in-database swap (shadow copies, the
 * backup after a swap, a rolled-back upgrade, twins set aside): never the application's, so
 * listings that take every schema leave them out.
 */
export const DRYDOCK_SCHEMA_RE = '_dd_(shadow|backup|rejected|twin)_[0-9]{8}'

/** `n.nspname` is not one of drydock's schemas, unless the caller named schemas ($1 not null). */
export const NOT_DRYDOCK_SCHEMA = `(n.nspname !~ '${DRYDOCK_SCHEMA_RE}' OR $1::text[] IS NOT NULL)`

export type SwapSchemaRole = 'shadow' | 'backup' | 'rejected' | 'twin'

/** `<schema>_dd_<role>_<run>`, within the 63-byte identifier limit. */
export function swapSchemaName(schema: string, role: SwapSchemaRole, runId: string): string {
  return derivedName(schema, `dd_${role}_${runId.replace('-', '')}`)
}
