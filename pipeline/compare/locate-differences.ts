import type { Session, TableInfo, TableRef } from '../drivers/driver.ts'
import { isDrydockError } from '../errors.ts'
import { redactUrls } from '../util/redact.ts'
import { compareKeys, coveringRange, type KeyRange, rangeSize, splitRange } from './key-ranges.ts'
import { type RowDifference, rowDifferences } from './row-differences.ts'

const SEGMENTS = 16
const LEAF_KEYS = 64n
export const MAX_DIFFERENCES = 100

export interface Located {
  /** The key column searched, when there is one. */
  readonly key: string | null
  readonly status: 'located' | 'cannot-locate' | 'failed'
  readonly reason?: string
  /** Sorted by key; at most MAX_DIFFERENCES. */
  readonly differences: readonly RowDifference[]
  /** More keys differ than are listed. */
  readonly truncated: boolean
  /** Range checksums taken per side: the cost of the search. */
  readonly rangeChecksums: number
}

type Locatable = Required<Pick<Session, 'checksumRange' | 'keyBounds' | 'rowsInRange'>>

const canLocate = (s: Session): s is Session & Locatable => !!(s.checksumRange && s.keyBounds && s.rowsInRange)

const cannot = (key: string | null, reason: string): Located => ({ key, status: 'cannot-locate', reason, differences: [], truncated: false, rangeChecksums: 0 })

/**
 * The keys whose rows differ in a table that differs, by bisection over its integer primary
 * key: ranges whose checksums differ are split in SEGMENTS, down to ranges of at most
 * LEAF_KEYS keys, whose rows are then fetched on both sides and matched. Equal ranges are never
 * read again, so the cost follows the number of differences, not the size of the table.
 */
export async function locateDifferences(left: TableInfo, right: TableInfo, l: Session, r: Session): Promise<Located> {
  if (left.primaryKey.length !== 1 || left.primaryKey.join() !== right.primaryKey.join()) {
    return cannot(null, left.primaryKey.join() === right.primaryKey.join() ? 'no integer primary key: cannot locate' : 'primary keys differ: cannot locate')
  }
  const key = left.primaryKey[0]!
  if (!canLocate(l) || !canLocate(r)) return cannot(key, 'this engine cannot locate rows')
  try {
    return await bisect(left, key, l, r)
  } catch (error) {
    if (isDrydockError(error) && error.code === 'DD_LOCATE_UNSUPPORTED') return cannot(key, 'no integer primary key: cannot locate')
    return { ...cannot(key, `locating failed: ${redactUrls((error as Error).message)}`), status: 'failed' }
  }
}

async function bisect(table: TableRef, key: string, l: Locatable, r: Locatable): Promise<Located> {
  const [lb, rb] = await Promise.all([l.keyBounds(table, key), r.keyBounds(table, key)])
  let ranges = [coveringRange(lb, rb)].filter((x): x is KeyRange => !!x)
  const differences: RowDifference[] = []
  let truncated = false
  let rangeChecksums = 0
  while (ranges.length > 0) {
    const next: KeyRange[] = []
    for (const range of ranges) {
      if (rangeSize(range) <= LEAF_KEYS) {
        const limit = Number(rangeSize(range))
        const [a, b] = await Promise.all([
          l.rowsInRange(table, key, String(range.from), String(range.to), limit),
          r.rowsInRange(table, key, String(range.from), String(range.to), limit),
        ])
        differences.push(...rowDifferences(key, a, b))
        continue
      }
      for (const segment of splitRange(range, SEGMENTS)) {
        const [a, b] = await Promise.all([
          l.checksumRange(table, key, String(segment.from), String(segment.to)),
          r.checksumRange(table, key, String(segment.from), String(segment.to)),
        ])
        rangeChecksums++
        if (a.rows !== b.rows || a.digest !== b.digest) next.push(segment)
      }
    }
    // Each differing range holds at least one differing key: past the cap, the rest cannot be listed.
    if (next.length + differences.length > MAX_DIFFERENCES) truncated = true
    ranges = next.slice(0, Math.max(0, MAX_DIFFERENCES - differences.length))
  }
  differences.sort((a, b) => compareKeys(a.key, b.key))
  if (differences.length > MAX_DIFFERENCES) truncated = true
  return { key, status: 'located', differences: differences.slice(0, MAX_DIFFERENCES), truncated, rangeChecksums }
}
