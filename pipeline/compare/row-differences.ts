export type DifferenceKind = 'changed' | 'missing-left' | 'missing-right'

export interface RowDifference {
  /** The row's key: its value, or for a composite key the values in key order, comma-separated in parentheses. */
  readonly key: string
  readonly kind: DifferenceKind
  /** For changed rows: the columns whose values differ (values are not reported: they may be private). */
  readonly columns?: readonly string[]
}

type Row = Record<string, string | null>

const keyText = (key: readonly string[], row: Row) => (key.length === 1 ? String(row[key[0]!]) : `(${key.map((k) => String(row[k])).join(', ')})`)

/** Rows of one key span on both sides, matched by key. */
export function rowDifferences(key: readonly string[], left: readonly Row[], right: readonly Row[]): RowDifference[] {
  const byKey = (rows: readonly Row[]) => new Map(rows.map((r) => [keyText(key, r), r]))
  const l = byKey(left)
  const r = byKey(right)
  const out: RowDifference[] = []
  for (const [k, row] of l) {
    const other = r.get(k)
    if (!other) out.push({ key: k, kind: 'missing-right' })
    else {
      const columns = changedColumns(row, other)
      if (columns.length) out.push({ key: k, kind: 'changed', columns })
    }
  }
  for (const k of r.keys()) if (!l.has(k)) out.push({ key: k, kind: 'missing-left' })
  return out
}

function changedColumns(a: Row, b: Row): string[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])]
  return names.filter((n) => !(n in a) || !(n in b) || a[n] !== b[n])
}

/** Integers by value, anything else as text: the order the report lists keys in. */
export function compareKeyText(a: string, b: string): number {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const d = BigInt(a) - BigInt(b)
    return d < 0n ? -1 : d > 0n ? 1 : 0
  }
  return a < b ? -1 : a > b ? 1 : 0
}
