import type { PartBasis, PartRange, Session, TableInfo } from '../drivers/driver.ts'

/** How big a part is (catalog bytes, indexes included) and how many one table may have. */
export interface PartSizing {
  readonly partBytes: number
  readonly maxParts: number
}

export const DEFAULT_PART_MB = 128
export const MAX_PARTS = 64

/**
 * The parts of a table: an empty list when it moves whole (small enough, or nothing to split
 * it by). Key ranges are even slices of [min, max]; the first is open below and the last open
 * above, so together they cover every key whatever the planned bounds were.
 */
export async function planParts(session: Session, table: TableInfo, sizing: PartSizing, prefer: 'key' | 'pages' = 'key'): Promise<PartRange[]> {
  const count = Math.min(sizing.maxParts, Math.ceil(table.bytes / Math.max(1, sizing.partBytes)))
  if (count < 2 || !session.partBasis) return []
  const basis = await session.partBasis(table, prefer)
  return basis ? splitBasis(basis, count) : []
}

export function splitBasis(basis: PartBasis, count: number): PartRange[] {
  if (basis.kind === 'pages') {
    const step = Math.ceil(basis.pages / count)
    if (basis.pages < 2 || step < 1) return []
    const ranges: PartRange[] = []
    for (let from = 0; from < basis.pages; from += step) {
      const to = from + step >= basis.pages ? null : from + step
      ranges.push({ kind: 'pages', from, to })
    }
    return ranges.length < 2 ? [] : ranges
  }
  const min = BigInt(basis.min)
  const span = BigInt(basis.max) - min + 1n
  const n = span < BigInt(count) ? Number(span) : count
  if (n < 2) return []
  const step = (span + BigInt(n) - 1n) / BigInt(n)
  const bounds: bigint[] = []
  for (let i = 1; i < n; i++) bounds.push(min + step * BigInt(i))
  const edges = [null, ...bounds.map(String), null]
  return edges.slice(0, -1).map((from, i) => ({ kind: 'key', column: basis.column, from, to: edges[i + 1]! }))
}

/** Human words for a part, for logs and errors: `id 1000–1999`, `pages 0–511`. */
export function describePart(range: PartRange | undefined): string {
  if (!range) return 'whole table'
  if (range.kind === 'pages') return `pages ${range.from}–${range.to === null ? 'end' : range.to - 1}`
  const from = range.from ?? '−∞'
  const to = range.to === null ? '∞' : `<${range.to}`
  return `${range.column} ${from}…${to}`
}
