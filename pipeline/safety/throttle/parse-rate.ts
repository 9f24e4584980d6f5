/**
 * Rates and lag limits as the operator writes them (config `throttle`, `--max-rate`,
 * `--max-replica-lag`). Decimal units like drydock's own MB/s figures (1 MB = 1 000 000 bytes),
 * so `--max-rate 50MB/s` shows as at most "50.0 MB/s" in the progress line; KiB/MiB/GiB
 * are binary.
 */

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
}

/** Below this a number without a unit is almost certainly a forgotten "MB/s". */
export const MIN_RATE = 1000

export const RATE_FORMS = "a rate like '50MB/s', '800KB/s' or bytes per second"

/**
 * Bytes per second from `'50MB/s'`, `'800 KB/s'`, `'1.5GiB/s'`, `'10M'` or a number of bytes.
 * Returns an error text (without the option's name) when the value is not a rate.
 * @example parseRate('50MB/s') // { bytesPerSecond: 50_000_000 }
 */
export function parseRate(value: unknown): { bytesPerSecond: number } | { error: string } {
  const got = JSON.stringify(value)
  let bytes: number
  if (typeof value === 'number') {
    bytes = value
  } else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(\/\s*s(?:ec)?)?\s*$/i.exec(value)
    const unit = match?.[2]?.toLowerCase() ?? ''
    if (/bit|bps/i.test(value)) return { error: `expected bytes per second (MB/s), not bits, got ${got}` }
    if (!match || !(unit in UNITS)) return { error: `expected ${RATE_FORMS}, got ${got}` }
    bytes = Number(match[1]) * UNITS[unit]!
  } else {
    return { error: `expected ${RATE_FORMS}, got ${got}` }
  }
  if (!Number.isFinite(bytes) || bytes <= 0) return { error: `expected ${RATE_FORMS} above zero, got ${got}` }
  if (bytes < MIN_RATE) return { error: `${got} is below ${MIN_RATE} bytes per second; write the unit, e.g. '50MB/s'` }
  return { bytesPerSecond: Math.round(bytes) }
}

/** Seconds from a positive number or `'30'` / `'30s'`; an error text otherwise. */
export function parseLagSeconds(value: unknown): { seconds: number } | { error: string } {
  const got = JSON.stringify(value)
  const text = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*s?\s*$/i.exec(value)?.[1] : undefined
  const seconds = typeof value === 'number' ? value : text === undefined ? NaN : Number(text)
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    return { error: `expected seconds of replica lag (a number above 0, at most 86400), got ${got}` }
  }
  return { seconds }
}
