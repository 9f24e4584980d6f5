/** Half-open integer key ranges `[from, to)`, as BigInt: keys may be any int8. */
export interface KeyRange {
  readonly from: bigint
  readonly to: bigint
}

export const rangeSize = (r: KeyRange): bigint => r.to - r.from

/** The range covering both sides' keys, or undefined when both sides are empty. */
export function coveringRange(...bounds: { min: string | null; max: string | null }[]): KeyRange | undefined {
  const mins = bounds.flatMap((b) => (b.min === null ? [] : [BigInt(b.min)]))
  const maxes = bounds.flatMap((b) => (b.max === null ? [] : [BigInt(b.max)]))
  if (mins.length === 0 || maxes.length === 0) return undefined
  return { from: mins.reduce((a, b) => (b < a ? b : a)), to: maxes.reduce((a, b) => (b > a ? b : a)) + 1n }
}

/** Up to `parts` consecutive ranges of (nearly) equal size that together are `range`. */
export function splitRange(range: KeyRange, parts: number): KeyRange[] {
  const size = rangeSize(range)
  const step = (size + BigInt(parts) - 1n) / BigInt(parts)
  const out: KeyRange[] = []
  for (let from = range.from; from < range.to; from += step) {
    out.push({ from, to: from + step < range.to ? from + step : range.to })
  }
  return out
}

export const compareKeys = (a: string, b: string): number => {
  const d = BigInt(a) - BigInt(b)
  return d < 0n ? -1 : d > 0n ? 1 : 0
}
