export type DifferenceKind = 'changed' | 'missing-left' | 'missing-right'

export interface RowDifference {
  readonly key: string
  readonly kind: DifferenceKind
  /** For changed rows: the columns whose values differ (values are not reported: they may be private). */
  readonly columns?: readonly string[]
}

type Row = Record<string, string | null>

/** Rows of one key range on both sides, matched by key. */
export function rowDifferences(key: string, left: readonly Row[], right: readonly Row[]): RowDifference[] {
  const byKey = (rows: readonly Row[]) => new Map(rows.map((r) => [String(r[key]), r]))
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
