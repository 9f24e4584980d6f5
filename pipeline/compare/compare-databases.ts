import type { Session, TableChecksum, TableInfo } from '../drivers/driver.ts'
import { describeEndpoint, type Endpoint } from '../config/endpoint.ts'
import { engineFacts } from '../drivers/engines.ts'
import { DrydockError } from '../errors.ts'
import { tableKey } from '../run-state/run-dir.ts'
import { forEachWithSlot } from '../util/pool.ts'
import { checksumAll, compareChecksums } from '../transfer/checksum-all.ts'
import { withEndpointSessions } from './endpoint-sessions.ts'
import type { ObjectCheck } from '../run-state/check-records.ts'
import { compareSequences } from '../stages/verify/sequence-check.ts'
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
  /** Sequences (PostgreSQL, MariaDB) and AUTO_INCREMENT counters: value, called state, definition. */
  readonly sequences: ObjectCheck
  /** `equal` only when both sides hold the same tables with the same rows, and the same sequences. */
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
  // A MySQL table's schema is its database: databases of different names hold the same tables.
  const byName = engineFacts(left.engine).tablesByDatabase
  const keyOf = (t: TableInfo) => (byName ? t.name : tableKey(t))
  const { tables, sequences } = await withEndpointSessions(left, options.jobs, (ls) => withEndpointSessions(right, options.jobs, async (rs) => {
    const [leftTables, rightTables] = await Promise.all([ls[0]!.inventory(options.schemas), rs[0]!.inventory(options.schemas)])
    const [leftSums, rightSums] = await Promise.all([checksumAll(leftTables, ls), checksumAll(rightTables, rs)])
    const [leftSequences, rightSequences] = await Promise.all([ls[0]!.sequences(), rs[0]!.sequences()])
    const inSchemas = (s: { schema: string }) => byName || !options.schemas || options.schemas.includes(s.schema)
    const sequences = compareSequences(leftSequences.filter(inSchemas), rightSequences.filter(inSchemas), ['left', 'right'], byName)
    const pairs = pairTables(leftTables, rightTables, keyOf)
    const compared = pairs.map(({ name, l, r }) => compareTable(name, l && leftSums.get(tableKey(l)), r && rightSums.get(tableKey(r))))
    if (!options.locate) return { tables: compared, sequences }
    const located = await locateAll(compared, pairs, ls.map((s, i) => ({ l: s, r: rs[i]! })))
    return { tables: compared.map((t) => ({ ...t, located: located.get(t.table) ?? null })), sequences }
  }))
  return {
    left: describeEndpoint(left), right: describeEndpoint(right), schemas: options.schemas ?? null,
    startedAt: startedAt.toISOString(), ms: Date.now() - startedAt.getTime(), tables, sequences,
    verdict: tables.every((t) => t.status === 'equal') && sequences.mismatches.length === 0 ? 'equal' : 'different',
  }
}

interface TablePair { name: string; l: TableInfo | undefined; r: TableInfo | undefined }

function pairTables(left: readonly TableInfo[], right: readonly TableInfo[], keyOf: (t: TableInfo) => string): TablePair[] {
  const l = new Map(left.map((t) => [keyOf(t), t]))
  const r = new Map(right.map((t) => [keyOf(t), t]))
  return [...new Set([...l.keys(), ...r.keys()])].sort().map((name) => ({ name, l: l.get(name), r: r.get(name) }))
}

function compareTable(name: string, l: TableChecksum | undefined, r: TableChecksum | undefined): TableComparison {
  const base = { table: name, left: l ?? null, right: r ?? null, detail: null, located: null }
  if (!r) return { ...base, status: 'only-left' }
  if (!l) return { ...base, status: 'only-right' }
  const mismatch = compareChecksums(name, l, r, ['left', 'right'])
  return mismatch ? { ...base, status: 'differs', detail: mismatch.detail } : { ...base, status: 'equal' }
}

async function locateAll(compared: readonly TableComparison[], pairs: readonly TablePair[], sessions: { l: Session; r: Session }[]): Promise<Map<string, Located>> {
  const pair = (name: string) => pairs.find((p) => p.name === name)!
  const located = new Map<string, Located>()
  // locateDifferences reports its own failures per table, so one table cannot stop the others.
  await forEachWithSlot(compared.filter((t) => t.status === 'differs'), sessions, async (t, { l, r }) => {
    const { l: left, r: right } = pair(t.table)
    located.set(t.table, await locateDifferences(left!, right!, l, r))
  })
  return located
}
