import type { SequenceBehind } from '../drivers/driver.ts'
import type { ObjectCheck } from '../run-state/check-records.ts'

/** `behind`: equal on both sides, but the sequence would hand out a value its column already holds. */
export type ObjectVerdict = 'equal' | 'differs' | 'behind'

export interface ObjectRow {
  readonly kind: 'sequence' | 'materialized view'
  readonly name: string
  readonly before: string | null
  readonly after: string | null
  readonly verdict: ObjectVerdict
  readonly detail: string | null
}

const ORDER: Record<ObjectVerdict, number> = { differs: 0, behind: 1, equal: 2 }

// Drivers name a behind sequence as SQL (quoted identifiers); checks name it plainly.
const plain = (name: string) => name.replace(/"/g, '')

function rowsOf(kind: ObjectRow['kind'], check: ObjectCheck | null | undefined, behind: readonly SequenceBehind[]): ObjectRow[] {
  if (!check) return []
  const detail = new Map(check.mismatches.map((m) => [m.table, m.detail]))
  const late = new Map(behind.map((b) => [plain(b.sequence), b]))
  // A manifest written before items were recorded lists only what differed.
  const items = check.items ?? check.mismatches.map((m) => ({ name: m.table, before: null, after: null, equal: false }))
  return items.map((item) => {
    const b = late.get(item.name)
    const verdict: ObjectVerdict = !item.equal ? 'differs' : b ? 'behind' : 'equal'
    const why = detail.get(item.name) ?? (b ? `next value ${b.next}, but ${b.column} holds up to ${b.max}; fix: ${b.fix}` : null)
    return { kind, name: item.name, before: item.before, after: item.after, verdict, detail: why }
  })
}

/** A hop's sequences and materialized views, one row each, what needs a look first. */
export function objectRows(
  hop: { sequences: ObjectCheck | null; materializedViews: ObjectCheck | null }, behind: readonly SequenceBehind[] = [],
): ObjectRow[] {
  return [...rowsOf('sequence', hop.sequences, behind), ...rowsOf('materialized view', hop.materializedViews, [])]
    .sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict])
}

export const VERDICT_TEXT: Record<ObjectVerdict, string> = { equal: '✓ equal', differs: '✗ differs', behind: '⚠ behind max(id)' }
