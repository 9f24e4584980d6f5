import type { KeySpan, Session, TableChecksum, TableInfo, TableRef } from '../drivers/driver.ts'
import { redactUrls } from '../util/redact.ts'
import { compareKeyText, type RowDifference, rowDifferences } from './row-differences.ts'

const SEGMENTS = 16
const LEAF_ROWS = 64
export const MAX_DIFFERENCES = 100

export interface Located {
  /** The key column(s) searched (comma-separated), when there is a key. */
  readonly key: string | null
  readonly status: 'located' | 'cannot-locate' | 'failed'
  readonly reason?: string
  /** Sorted by key; at most MAX_DIFFERENCES. */
  readonly differences: readonly RowDifference[]
  /** More keys differ than are listed. */
  readonly truncated: boolean
  /** Span checksums taken per side: the cost of the search. */
  readonly rangeChecksums: number
}

const cannot = (key: string | null, reason: string): Located => ({ key, status: 'cannot-locate', reason, differences: [], truncated: false, rangeChecksums: 0 })

interface Differing { span: KeySpan; left: TableChecksum; right: TableChecksum }

/**
 * The keys whose rows differ in a table that differs, by bisection in primary-key order (any
 * key: integer, text, uuid, composite): a differing span is cut in SEGMENTS runs of equal length
 * at keys of the side holding more of its rows, and the runs whose checksums differ are cut
 * again, down to spans of at most LEAF_ROWS rows a side, whose rows are then fetched on both
 * sides and matched. Equal spans are never read again, so the cost follows the number of
 * differences, not the size of the table.
 */
export async function locateDifferences(left: TableInfo, right: TableInfo, l: Session, r: Session): Promise<Located> {
  if (left.primaryKey.join() !== right.primaryKey.join()) return cannot(null, 'primary keys differ: cannot locate')
  if (left.primaryKey.length === 0) return cannot(null, 'no primary key: cannot locate')
  const key = left.primaryKey
  try {
    return await bisect(left, key, l, r)
  } catch (error) {
    return { ...cannot(key.join(', '), `locating failed: ${redactUrls((error as Error).message)}`), status: 'failed' }
  }
}

async function bisect(table: TableRef, key: readonly string[], l: Session, r: Session): Promise<Located> {
  const whole: KeySpan = { from: null, to: null }
  const [a, b] = await Promise.all([l.checksumSpan(table, key, whole), r.checksumSpan(table, key, whole)])
  let spans: Differing[] = [{ span: whole, left: a, right: b }]
  const differences: RowDifference[] = []
  let truncated = false
  let rangeChecksums = 1
  while (spans.length > 0) {
    const next: Differing[] = []
    for (const { span, left, right } of spans) {
      if (Math.max(left.rows, right.rows) <= LEAF_ROWS) {
        const limit = Math.max(left.rows, right.rows)
        const [x, y] = await Promise.all([l.rowsInSpan(table, key, span, limit), r.rowsInSpan(table, key, span, limit)])
        differences.push(...rowDifferences(key, x, y))
        continue
      }
      const cutter = left.rows >= right.rows ? l : r
      const cuts = await cutter.spanBoundaries(table, key, span, SEGMENTS)
      const bounds = [span.from, ...cuts, span.to]
      for (let i = 0; i + 1 < bounds.length; i++) {
        const segment: KeySpan = { from: bounds[i]!, to: bounds[i + 1]! }
        const [x, y] = await Promise.all([l.checksumSpan(table, key, segment), r.checksumSpan(table, key, segment)])
        rangeChecksums++
        if (x.rows !== y.rows || x.digest !== y.digest) next.push({ span: segment, left: x, right: y })
      }
    }
    // Each differing span holds at least one differing key: past the cap, the rest cannot be listed.
    if (next.length + differences.length > MAX_DIFFERENCES) truncated = true
    spans = next.slice(0, Math.max(0, MAX_DIFFERENCES - differences.length))
  }
  differences.sort((x, y) => compareKeyText(x.key, y.key))
  if (differences.length > MAX_DIFFERENCES) truncated = true
  return { key: key.join(', '), status: 'located', differences: differences.slice(0, MAX_DIFFERENCES), truncated, rangeChecksums }
}
