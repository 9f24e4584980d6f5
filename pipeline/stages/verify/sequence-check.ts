import type { SequenceValue } from '../../drivers/driver.ts'
import type { Mismatch, ObjectCheck, ObjectItem } from '../../run-state/check-records.ts'

/**
 * `schema.name`, or the name alone where the engine's schema is the database (MySQL, whose
 * staging, shadow or compared database may carry another name).
 */
export const sequenceKey = (s: SequenceValue, byName: boolean): string => (byName ? s.name : `${s.schema}.${s.name}`)

const stateText = (s: SequenceValue) => `${s.lastValue}${s.isCalled ? '' : ' (not called)'}`
// An AUTO_INCREMENT counter (no definition of its own) holds the next value it hands out.
const itemText = (s: SequenceValue) => (s.options === undefined && !s.isCalled ? `next ${s.lastValue}` : stateText(s))

/** Every sequence on both sides with the same value, called state and definition. */
export function compareSequences(
  expected: readonly SequenceValue[], actual: readonly SequenceValue[], names: [string, string], byName: boolean,
): ObjectCheck {
  const left = new Map(expected.map((s) => [sequenceKey(s, byName), s]))
  const right = new Map(actual.map((s) => [sequenceKey(s, byName), s]))
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort()
  const mismatches: Mismatch[] = []
  const items: ObjectItem[] = []
  for (const key of keys) {
    const a = left.get(key)
    const b = right.get(key)
    const detail = !a || !b
      ? `sequence missing on ${!a ? names[0] : names[1]}`
      : a.lastValue !== b.lastValue || a.isCalled !== b.isCalled
        ? `sequence at ${stateText(a)} on ${names[0]}, ${stateText(b)} on ${names[1]}`
        : (a.options ?? '') !== (b.options ?? '') ? `sequence defined as ${a.options ?? '–'} on ${names[0]}, ${b.options ?? '–'} on ${names[1]}` : undefined
    if (detail) mismatches.push({ table: key, detail })
    items.push({ name: key, before: a ? itemText(a) : null, after: b ? itemText(b) : null, equal: !detail })
  }
  return { compared: keys.length, mismatches, items }
}
