import { availableParallelism, loadavg } from 'node:os'
import type { Driver, TableRef } from '../drivers/driver.ts'
import type { Endpoint } from '../config/endpoint.ts'

const SAMPLE_MS = 2000
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
 * two seconds from the first byte; the connection is closed afterwards (that cancels the rest
 * of the COPY). Says when the figure cannot be trusted: too little read, or a busy machine.
 */
export async function sampleReadRate(driver: Driver, source: Endpoint, table: TableRef, tableBytes: number): Promise<ReadSample | undefined> {
  const busy = loadavg()[0]! / availableParallelism()
  const session = await driver.connect(source)
  let first: number | undefined
  let bytes = 0
  let ended = true
  try {
    const reader = await session.readTable(table)
    for await (const chunk of reader.stream) {
      first ??= Date.now()
      bytes += (chunk as Buffer).length
      if (Date.now() - first > SAMPLE_MS || bytes > SAMPLE_BYTES) {
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
  const seconds = Math.max(0.001, (Date.now() - first) / 1000)
  const rate = bytes / seconds
  const untrusted = sampleDoubt({ bytes, seconds, whole: ended && bytes >= tableBytes * 0.5, load: loadavg()[0]!, cores: availableParallelism(), busyBefore: busy })
  return { rate, bytes, ...(untrusted ? { untrusted } : {}) }
}

/** Why a read sample cannot be trusted, or undefined when it can. */
export function sampleDoubt(s: { bytes: number; seconds: number; whole: boolean; load: number; cores: number; busyBefore: number }): string | undefined {
  if (s.bytes < ENOUGH_BYTES && !s.whole) return `only ${(s.bytes / 1e6).toFixed(1)} MB came in ${s.seconds.toFixed(1)} s`
  if (Math.max(s.busyBefore, s.load / s.cores) > 1.5) return `the machine was busy while sampling (load ${s.load.toFixed(1)} on ${s.cores} cores)`
  return undefined
}
