import type { TableChecksum } from '../drivers/driver.ts'
import type { CompareResult, TableComparison } from './compare-databases.ts'
import type { DifferenceKind } from './row-differences.ts'

export const KIND_TEXT: Record<DifferenceKind, string> = {
  changed: 'changed', 'missing-right': 'missing on right', 'missing-left': 'missing on left',
}

export function counts(r: CompareResult) {
  const n = (status: TableComparison['status']) => r.tables.filter((t) => t.status === status).length
  return { tables: r.tables.length, equal: n('equal'), differs: n('differs'), onlyLeft: n('only-left'), onlyRight: n('only-right') }
}

/** One line per table, the same in the summary and in compare.md. */
export function outcome(t: TableComparison): string {
  switch (t.status) {
    case 'equal': return '✓ equal'
    case 'only-left': return '✗ only on left'
    case 'only-right': return '✗ only on right'
    case 'differs': return `✗ ${differsText(t)}`
  }
}

function differsText(t: TableComparison): string {
  const located = t.located
  if (!located) return t.left!.rows === t.right!.rows ? 'differs: same row count, different content' : `differs: ${t.left!.rows} vs ${t.right!.rows} rows`
  if (located.status !== 'located') return `differs (${located.reason})`
  const found = located.differences
  if (found.length === 0) return 'differs, but no differing key was found (did the data change while comparing?)'
  const byKind = (Object.keys(KIND_TEXT) as DifferenceKind[])
    .map((kind) => [kind, found.filter((d) => d.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${KIND_TEXT[kind]}`)
  return `differs: ${found.length}${located.truncated ? '+' : ''} key(s) (${byKind.join(', ')})`
}

export const checksumText = (c: TableChecksum | null) => (c ? `${c.rows} rows · ${c.digest}` : '–')
