import { availableParallelism, loadavg } from 'node:os'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Driver, TableInfo } from '../drivers/driver.ts'
import type { Endpoint } from '../config/endpoint.ts'
import { tableKey } from '../run-state/run-dir.ts'
import { Rebatch } from '../transfer/rebatch.ts'
import { Meter } from '../util/meter.ts'

const SAMPLE_MS = 2000
/** The first half second is not counted: the read is still ramping up (measured at a third to a half of the steady rate on MariaDB). */
const WARM_UP_MS = 500
/** Per worker: a table that ends sooner is timed to its last byte. */
const SAMPLE_BYTES = 200e6
/** Below this, a sample says more about connection setup than about read speed. */
const ENOUGH_BYTES = 4e6
/** A table this much smaller than the largest says little about the bulk of the copy. */
const WORTH_SAMPLING = 0.1

export interface ReadSample {
  /** Bytes per second all workers together read, hashed as the dump hashes them. */
  readonly rate: number
  /** Bytes per second the worker on the largest table read (while the others read beside it). */
  readonly largestRate: number
  readonly bytes: number
  /** The tables read, one per worker. */
  readonly tables: readonly string[]
  /** Why the figure cannot be trusted (absent: it can). */
  readonly untrusted?: string
}

interface WorkerSample { bytes: number; counted: number; seconds: number; whole: boolean }

/** Thrown by the sample's own sink to stop the read: not a failure. */
class SampleDone extends Error {}

/**
 * How fast `jobs` workers read the largest carried tables side by side, in the dump format and
 * through the dump's hash: what the dump stage does but the file write, so CPU shared between
 * the server and drydock shows in the figure as it will in the dump. Each worker reads for two
 * seconds after a half-second warm-up (or to the end of a smaller table), timed to its last byte;
 * the reads are then cut off, not drained. Says when the figure cannot be trusted: too little
 * read, or a busy machine. Reads only.
 */
export async function sampleReadRate(driver: Driver, source: Endpoint, carried: readonly TableInfo[], jobs: number): Promise<ReadSample | undefined> {
  const tables = sampledTables(carried, jobs)
  if (tables.length === 0) return undefined
  const busy = loadavg()[0]! / availableParallelism()
  const workers = await Promise.all(tables.map((t) => sampleOne(driver, source, t)))
  const read = workers.filter((w): w is WorkerSample => w !== undefined && w.bytes > 0)
  if (read.length === 0) return undefined
  const rate = read.reduce((sum, w) => sum + w.counted / w.seconds, 0)
  const largest = workers[0]
  const bytes = read.reduce((sum, w) => sum + w.bytes, 0)
  const seconds = Math.max(...read.map((w) => w.seconds))
  const untrusted = sampleDoubt({ bytes, seconds, whole: read.every((w) => w.whole), load: loadavg()[0]!, cores: availableParallelism(), busyBefore: busy })
  return {
    rate,
    largestRate: largest && largest.bytes > 0 ? largest.counted / largest.seconds : rate / read.length,
    bytes,
    tables: tables.map(tableKey),
    ...(untrusted ? { untrusted } : {}),
  }
}

/** One table per worker: the largest carried ones, the largest again where the rest are too small to say much. */
export function sampledTables(carried: readonly TableInfo[], jobs: number): TableInfo[] {
  const bySize = [...carried].sort((a, b) => b.bytes - a.bytes)
  const largest = bySize[0]
  if (!largest) return []
  const worth = bySize.filter((t) => t.bytes >= largest.bytes * WORTH_SAMPLING)
  return Array.from({ length: Math.max(1, jobs) }, (_, i) => worth[i % worth.length]!)
}

async function sampleOne(driver: Driver, source: Endpoint, table: TableInfo): Promise<WorkerSample | undefined> {
  const session = await driver.connect(source)
  let first: number | undefined
  let last = 0
  let bytes = 0
  // Where the counted window starts: after the warm-up, or the first byte if the table ends sooner.
  let warm: { at: number; bytes: number } | undefined
  let whole = true
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const now = Date.now()
      first ??= now
      last = now
      bytes += chunk.length
      if (!warm && now - first >= WARM_UP_MS) warm = { at: now, bytes }
      if ((warm && now - warm.at > SAMPLE_MS) || bytes > SAMPLE_BYTES) {
        whole = false
        callback(new SampleDone())
        return
      }
      callback()
    },
  })
  try {
    const reader = await session.readTable(table)
    await pipeline(reader.stream, new Rebatch(), new Meter(), sink)
  } catch (error) {
    // a sample that fails leaves no estimate, nothing worse
    if (!(error instanceof SampleDone)) return undefined
  } finally {
    await session.close()
  }
  if (first === undefined || bytes === 0) return undefined
  // A warm-up that took nearly everything leaves too short a window: count from the first byte.
  const from = warm && last - warm.at >= WARM_UP_MS ? warm : { at: first, bytes: 0 }
  return { bytes, counted: bytes - from.bytes, seconds: Math.max(0.001, (last - from.at) / 1000), whole }
}

/** Why a read sample cannot be trusted, or undefined when it can. */
export function sampleDoubt(s: { bytes: number; seconds: number; whole: boolean; load: number; cores: number; busyBefore: number }): string | undefined {
  if (s.bytes < ENOUGH_BYTES && !s.whole) return `only ${(s.bytes / 1e6).toFixed(1)} MB came in ${s.seconds.toFixed(1)} s`
  if (Math.max(s.busyBefore, s.load / s.cores) > 1.5) return `the machine was busy while sampling (load ${s.load.toFixed(1)} on ${s.cores} cores)`
  return undefined
}
