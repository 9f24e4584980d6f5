import type { Session, TableChecksum, TableInfo } from '../drivers/driver.ts'
import { describeEndpoint, type Endpoint } from '../endpoint.ts'
import { DrydockError } from '../errors.ts'
import { tableKey } from '../run-dir.ts'
import { forEachWithSlot } from '../util/pool.ts'
import { checksumAll, compareChecksums } from '../verify/checksum-all.ts'
import { withEndpointSessions } from './endpoint-sessions.ts'
import { type Located, locateDifferences } from './locate-differences.ts'

export interface CompareOptions {
  schemas?: readonly string[]
  /** Sessions per side. */
  jobs: number
  /** Find the differing keys of differing tables (integer primary keys only). */
  locate?: boolean
}

export type TableStatus = 'equal' | 'differs' | 'only-left' | 'only-right'

export interface TableComparison {
  readonly table: string
  readonly status: TableStatus
  readonly left: TableChecksum | null
  readonly right: TableChecksum | null
  /** Why a table differs, in the words of the verify stages. */
  readonly detail: string | null
  readonly located: Located | null
}

export interface CompareResult {
  /** Endpoints as printed: never with a password. */
  readonly left: string
  readonly right: string
  readonly schemas: readonly string[] | null
  readonly startedAt: string
  readonly ms: number
  readonly tables: readonly TableComparison[]
  /** `equal` only when both sides hold the same tables with the same rows. */
  readonly verdict: 'equal' | 'different'
}

/**
 * Compares two databases table by table: both inventories, then row count and checksum of
 * every table on both sides in parallel (the same checksum as the upgrade's hops), and, with
 * `locate`, the keys of the rows that differ. Read-only on both sides. The databases should be
 * quiet: tables are checksummed one by one, not in one snapshot.
 */
export async function compareDatabases(left: Endpoint, right: Endpoint, options: CompareOptions): Promise<CompareResult> {
  if (left.engine !== right.engine) {
    throw new DrydockError('DD_COMPARE_ENGINES', `cannot compare a ${left.engine} database with a ${right.engine} database: their checksums differ by design`, {
      stage: 'verify', hint: 'compare databases of the same engine',
    })
  }
  const startedAt = new Date()
  const tables = await withEndpointSessions(left, options.jobs, (ls) => withEndpointSessions(right, options.jobs, async (rs) => {
    const [leftTables, rightTables] = await Promise.all([ls[0]!.inventory(options.schemas), rs[0]!.inventory(options.schemas)])
    const [leftSums, rightSums] = await Promise.all([checksumAll(leftTables, ls), checksumAll(rightTables, rs)])
    const compared = pairTables(leftTables, rightTables).map(({ name, l, r }) => compareTable(name, l && leftSums.get(name), r && rightSums.get(name)))
    if (!options.locate) return compared
    const located = await locateAll(compared, leftTables, rightTables, ls.map((s, i) => ({ l: s, r: rs[i]! })))
    return compared.map((t) => ({ ...t, located: located.get(t.table) ?? null }))
  }))
  return {
    left: describeEndpoint(left), right: describeEndpoint(right), schemas: options.schemas ?? null,
    startedAt: startedAt.toISOString(), ms: Date.now() - startedAt.getTime(), tables,
    verdict: tables.every((t) => t.status === 'equal') ? 'equal' : 'different',
  }
}

function pairTables(left: readonly TableInfo[], right: readonly TableInfo[]) {
  const l = new Map(left.map((t) => [tableKey(t), t]))
  const r = new Map(right.map((t) => [tableKey(t), t]))
  return [...new Set([...l.keys(), ...r.keys()])].sort().map((name) => ({ name, l: l.get(name), r: r.get(name) }))
}

function compareTable(name: string, l: TableChecksum | undefined, r: TableChecksum | undefined): TableComparison {
  const base = { table: name, left: l ?? null, right: r ?? null, detail: null, located: null }
  if (!r) return { ...base, status: 'only-left' }
  if (!l) return { ...base, status: 'only-right' }
  const mismatch = compareChecksums(name, l, r, ['left', 'right'])
  return mismatch ? { ...base, status: 'differs', detail: mismatch.detail } : { ...base, status: 'equal' }
}

async function locateAll(
  compared: readonly TableComparison[], leftTables: readonly TableInfo[], rightTables: readonly TableInfo[], pairs: { l: Session; r: Session }[],
): Promise<Map<string, Located>> {
  const info = (tables: readonly TableInfo[], name: string) => tables.find((t) => tableKey(t) === name)!
  const located = new Map<string, Located>()
  // locateDifferences reports its own failures per table, so one table cannot stop the others.
  await forEachWithSlot(compared.filter((t) => t.status === 'differs'), pairs, async (t, { l, r }) => {
    located.set(t.table, await locateDifferences(info(leftTables, t.table), info(rightTables, t.table), l, r))
  })
  return located
}
