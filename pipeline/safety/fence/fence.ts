/**
 * The write fence: proof, just before the swap, that nobody wrote to the fenced production
 * tables since the snapshot. A write in that window is in the live database but not in the
 * migrated copy, so swapping would lose it.
 *
 * takeFence() reads cheap per-table marks (write counters, file and table ids, last-write
 * times; see the drivers' *-fence.ts) BEFORE the snapshot is opened: a write between the
 * reading and the snapshot is then reported too (safe), never missed. checkFence() reads
 * them again before the swap and compares. A mark that moved is a write (DD_WRITE_FENCE).
 * Tables the marks cannot vouch for (statistics reset, server restarted, last-write time
 * forgotten, open writers) are checksummed against the snapshot's checksums when the caller
 * passes them (hop 1 computed them anyway), else the check fails as unproven.
 */
import type { Driver, TableChecksum, TableRef } from '../../drivers/driver.ts'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { Fence } from '../../run-state/check-records.ts'
import type { FenceMarks, TableMarks } from './fence-types.ts'

export interface FenceOptions {
  /** Schemas whose new tables count as writes (PostgreSQL; MySQL: the database). */
  schemas?: readonly string[]
  /** Longest wait for other sessions' statistics to be flushed. @defaultValue 11000 */
  settleMs?: number
}

export interface CheckFenceOptions {
  /** Checksums of the tables as of the snapshot (hop 1's source checksums), keyed `schema.table`. */
  expected?: ReadonlyMap<string, TableChecksum> | Readonly<Record<string, TableChecksum | undefined>>
  settleMs?: number
}

export interface FenceEvidence {
  readonly table: string
  readonly detail: string
}

export interface FenceComparison {
  /** Marks that moved: written. */
  readonly written: readonly FenceEvidence[]
  /** Marks that cannot tell: only a checksum can. */
  readonly uncertain: readonly FenceEvidence[]
  readonly unchanged: readonly string[]
}

export interface FenceCheckResult {
  readonly tables: number
  /** Tables proven unchanged by their marks. */
  readonly byMarks: readonly string[]
  /** Tables proven unchanged by a checksum equal to the snapshot's. */
  readonly byChecksum: readonly string[]
  /** Log position at the fence and now (information). */
  readonly positions: readonly [string, string]
  readonly notes: readonly string[]
}

const key = (t: TableRef) => `${t.schema}.${t.name}`

async function readMarks(driver: Driver, endpoint: Endpoint, tables: readonly TableRef[], phase: 'take' | 'check', options: FenceOptions): Promise<FenceMarks> {
  const session = await driver.connect(endpoint)
  try {
    return await session.fenceMarks(tables, {
      phase, ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}), ...(options.schemas ? { schemas: options.schemas } : {}),
    })
  } finally {
    await session.close()
  }
}

/** Reads the marks of `tables` on production. Call it right before the snapshot is opened. Reads only. */
export async function takeFence(driver: Driver, endpoint: Endpoint, tables: readonly TableRef[], options: FenceOptions = {}): Promise<Fence> {
  const marks = await readMarks(driver, endpoint, tables, 'take', options)
  return {
    version: 1,
    endpoint: describeEndpoint(endpoint),
    tables: tables.map((t) => ({ schema: t.schema, name: t.name })),
    ...(options.schemas ? { schemas: [...options.schemas] } : {}),
    marks,
  }
}

function utcMs(at: string): number {
  return Date.parse(`${at.replace(' ', 'T')}Z`)
}

function diff(what: Readonly<Record<string, string | null>> | undefined, now: Readonly<Record<string, string | null>> | undefined): string[] {
  const out: string[] = []
  for (const name of new Set([...Object.keys(what ?? {}), ...Object.keys(now ?? {})])) {
    const a = what?.[name] ?? null
    const b = now?.[name] ?? null
    if (a !== b) out.push(`${name} ${a ?? 'none'} → ${b ?? 'none'}`)
  }
  return out
}

/** Compares two readings, table by table. Pure. */
export function compareFence(before: FenceMarks, after: FenceMarks, tables: readonly TableRef[]): FenceComparison {
  const written: FenceEvidence[] = []
  const uncertain: FenceEvidence[] = []
  const unchanged: string[] = []
  const elapsedS = (utcMs(after.at) - utcMs(before.at)) / 1000
  const restarted = Number.isFinite(elapsedS) && after.uptimeSeconds + 2 < elapsedS
  const global = restarted
    ? `the server restarted since the fence (up ${Math.round(after.uptimeSeconds)} s, fence ${Math.round(elapsedS)} s ago): in-memory marks were lost`
    : before.epoch !== after.epoch ? `statistics were reset since the fence (${before.epoch} → ${after.epoch})`
      : before.uncertain ? `at the fence: ${before.uncertain}` : after.uncertain
  const fenceSecond = before.at.slice(0, 19)
  for (const t of tables) {
    const k = key(t)
    const a: TableMarks | undefined = before.tables[k]
    const b: TableMarks | undefined = after.tables[k]
    if (!a || !b) { uncertain.push({ table: k, detail: 'no marks were read for it' }); continue }
    if (a.exists && !b.exists) { written.push({ table: k, detail: 'dropped or renamed' }); continue }
    if (!a.exists) { uncertain.push({ table: k, detail: 'it did not exist at the fence' }); continue }
    const evidence: string[] = diff(a.exact, b.exact)
    const doubts: string[] = []
    for (const [name, was] of Object.entries(a.counters)) {
      const now = b.counters[name]
      if (now === undefined) { doubts.push(`${name} no longer readable`); continue }
      if (BigInt(now) > BigInt(was)) evidence.push(`${name} ${was} → ${now}`)
      else if (BigInt(now) < BigInt(was)) doubts.push(`${name} went down (${was} → ${now}): counters were reset`)
    }
    if (b.lastWrite) {
      if (b.lastWrite !== a.lastWrite) evidence.push(`last write ${a.lastWrite ?? 'unknown'} → ${b.lastWrite}`)
      else if (b.lastWrite >= fenceSecond) evidence.push(`last write at ${b.lastWrite}, the second of the fence itself`)
    } else if (a.lastWrite) {
      doubts.push(`last write time ${a.lastWrite} forgotten since (the table left the cache, or the server restarted)`)
    }
    const soft = diff(a.soft, b.soft)
    if (soft.length > 0) doubts.push(`statistics changed (${soft.join(', ')})`)
    if (a.uncertain) doubts.push(a.uncertain)
    if (b.uncertain && b.uncertain !== a.uncertain) doubts.push(b.uncertain)
    if (evidence.length > 0) written.push({ table: k, detail: evidence.join(', ') })
    else if (doubts.length > 0 || global) uncertain.push({ table: k, detail: [...doubts, ...(global ? [global] : [])].join('; ') })
    else unchanged.push(k)
  }
  const known = new Set(before.allTables)
  for (const created of after.allTables.filter((name) => !known.has(name))) {
    written.push({ table: created, detail: 'table created after the fence' })
  }
  return { written, uncertain, unchanged }
}

function expectedFor(expected: CheckFenceOptions['expected'], table: string): TableChecksum | undefined {
  if (!expected) return undefined
  if (expected instanceof Map) return expected.get(table)
  return (expected as Readonly<Record<string, TableChecksum | undefined>>)[table]
}

function writeFenceError(evidence: readonly FenceEvidence[], endpoint: string): DrydockError {
  const list = evidence.map((e) => `  ${e.table}: ${e.detail}`).join('\n')
  return new DrydockError('DD_WRITE_FENCE', `${endpoint} was written after the snapshot: ${evidence.length} table(s) changed since the fence:\n${list}`, {
    stage: 'swap',
    table: evidence.map((e) => e.table).join(', '),
    resumable: false,
    hint: 'the maintenance window was not respected: something (the application, a worker, a cron job) still writes to production, and those writes are not in the migrated copy. Nothing was swapped; stop every writer and run the upgrade again from the start (there is no --force: swapping now would lose them)',
  })
}

/**
 * Reads the marks again and compares them with the fence. Throws DD_WRITE_FENCE naming every
 * written table, or DD_WRITE_FENCE_UNPROVEN when a table can be proven neither by its marks
 * nor by a checksum. Reads only.
 */
export async function checkFence(driver: Driver, endpoint: Endpoint, fence: Fence, options: CheckFenceOptions = {}): Promise<FenceCheckResult> {
  const after = await readMarks(driver, endpoint, fence.tables, 'check', { ...options, ...(fence.schemas ? { schemas: fence.schemas } : {}) })
  const comparison = compareFence(fence.marks, after, fence.tables)
  if (comparison.written.length > 0) throw writeFenceError(comparison.written, fence.endpoint)
  const byChecksum: string[] = []
  const unproven: FenceEvidence[] = []
  const changed: FenceEvidence[] = []
  const toChecksum = comparison.uncertain.filter((u) => expectedFor(options.expected, u.table) !== undefined)
  unproven.push(...comparison.uncertain.filter((u) => expectedFor(options.expected, u.table) === undefined))
  if (toChecksum.length > 0) {
    const session = await driver.connect(endpoint)
    try {
      for (const u of toChecksum) {
        const table = fence.tables.find((t) => key(t) === u.table)!
        const want = expectedFor(options.expected, u.table)!
        const got = await session.checksum(table)
        if (got.rows !== want.rows || got.digest !== want.digest) {
          changed.push({ table: u.table, detail: `its rows differ from the snapshot (${want.rows} rows, checksum ${want.digest} then; ${got.rows} rows, checksum ${got.digest} now); marks: ${u.detail}` })
        } else {
          byChecksum.push(u.table)
        }
      }
    } finally {
      await session.close()
    }
  }
  if (changed.length > 0) throw writeFenceError(changed, fence.endpoint)
  if (unproven.length > 0) {
    const list = unproven.map((e) => `  ${e.table}: ${e.detail}`).join('\n')
    throw new DrydockError('DD_WRITE_FENCE_UNPROVEN', `cannot prove that ${fence.endpoint} was not written after the snapshot: ${unproven.length} table(s) without proof:\n${list}`, {
      stage: 'swap',
      table: unproven.map((e) => e.table).join(', '),
      resumable: false,
      hint: 'nothing was swapped. Pass the snapshot checksums (hop 1) to checkFence so that these tables are checksummed, or make sure nothing writes and run the upgrade again',
    })
  }
  return {
    tables: fence.tables.length,
    byMarks: comparison.unchanged,
    byChecksum,
    positions: [fence.marks.position, after.position],
    notes: [...fence.marks.notes.map((n) => `at the fence: ${n}`), ...after.notes],
  }
}
