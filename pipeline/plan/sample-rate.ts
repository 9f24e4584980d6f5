import { availableParallelism, loadavg } from 'node:os'
import type { Driver, TableRef } from '../drivers/driver.ts'
import type { Endpoint } from '../config/endpoint.ts'

const SAMPLE_MS = 2000
/** The first half second is not counted: the read is still ramping up (measured at a third to a half of the steady rate on MariaDB). */
const WARM_UP_MS = 500
const SAMPLE_BYTES = 200e6
/** Below this, a sample says more about connection setup than about read speed. */
const ENOUGH_BYTES = 4e6

export interface ReadSample {
  /** Bytes per second one worker read (from the first byte on). */
  readonly rate: number
  readonly bytes: number
  /** Why the figure cannot be trusted (absent: it can). */
  readonly untrusted?: string
}

/**
 * Bytes per second one worker reads from `table` in the dump format, measured for at most
 * two seconds after a half-second warm-up (the whole read when the table ends sooner); the
 * connection is closed afterwards (that cancels the rest of the COPY). Says when the figure
 * cannot be trusted: too little read, or a busy machine.
 */
export async function sampleReadRate(driver: Driver, source: Endpoint, table: TableRef, tableBytes: number): Promise<ReadSample | undefined> {
  const busy = loadavg()[0]! / availableParallelism()
  const session = await driver.connect(source)
  let first: number | undefined
  let bytes = 0
  // Where the counted window starts: after the warm-up, or the first byte if the table ends sooner.
  let warm: { at: number; bytes: number } | undefined
  let ended = true
  try {
    const reader = await session.readTable(table)
    for await (const chunk of reader.stream) {
      const now = Date.now()
      first ??= now
      bytes += (chunk as Buffer).length
      if (!warm && now - first >= WARM_UP_MS) warm = { at: now, bytes }
      if ((warm && now - warm.at > SAMPLE_MS) || bytes > SAMPLE_BYTES) {
        ended = false
        reader.stream.destroy()
        break
      }
    }
  } catch {
    // a sample that fails leaves no estimate, nothing worse
  } finally {
    await session.close()
  }
  if (first === undefined || bytes === 0) return undefined
  const from = warm && bytes > warm.bytes ? warm : { at: first, bytes: 0 }
  const seconds = Math.max(0.001, (Date.now() - from.at) / 1000)
  const rate = (bytes - from.bytes) / seconds
  const untrusted = sampleDoubt({ bytes, seconds, whole: ended && bytes >= tableBytes * 0.5, load: loadavg()[0]!, cores: availableParallelism(), busyBefore: busy })
  return { rate, bytes, ...(untrusted ? { untrusted } : {}) }
}

/** Why a read sample cannot be trusted, or undefined when it can. */
export function sampleDoubt(s: { bytes: number; seconds: number; whole: boolean; load: number; cores: number; busyBefore: number }): string | undefined {
  if (s.bytes < ENOUGH_BYTES && !s.whole) return `only ${(s.bytes / 1e6).toFixed(1)} MB came in ${s.seconds.toFixed(1)} s`
  if (Math.max(s.busyBefore, s.load / s.cores) > 1.5) return `the machine was busy while sampling (load ${s.load.toFixed(1)} on ${s.cores} cores)`
  return undefined
}
