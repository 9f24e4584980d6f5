import { createHash, randomBytes } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import type { Clock } from '../../pipeline/safety/throttle/rate-limit.ts'

/** Random chunks of 1 B to `max` bytes, `total` bytes in all, and their sha256. */
export function randomChunks(total: number, max = 96 * 1024, seed = 1): { chunks: Buffer[]; sha256: string } {
  const chunks: Buffer[] = []
  let left = total
  let state = seed
  while (left > 0) {
    state = (state * 1103515245 + 12345) % 2 ** 31
    const size = Math.min(left, 1 + (state % max))
    chunks.push(randomBytes(size))
    left -= size
  }
  return { chunks, sha256: createHash('sha256').update(Buffer.concat(chunks)).digest('hex') }
}

/** A byte source that hands out one chunk per read() and counts them. */
export function countingSource(chunks: readonly Buffer[]): Readable & { pulled: number } {
  let next = 0
  const source = new Readable({
    highWaterMark: 1,
    read() {
      source.pulled++
      this.push(next < chunks.length ? chunks[next++] : null)
    },
  }) as Readable & { pulled: number }
  source.pulled = 0
  return source
}

export interface Received { at: number; bytes: number; stream: number }

/** A sink that records when (on `clock`) each chunk arrived, and hashes what it got. */
export function recordingSink(clock: Clock, received: Received[], stream = 0, onChunk?: () => void): Writable & { sha256(): string; bytes: number } {
  const hash = createHash('sha256')
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      sink.bytes += chunk.length
      received.push({ at: clock.now(), bytes: chunk.length, stream })
      onChunk?.()
      callback()
    },
  }) as Writable & { sha256(): string; bytes: number }
  sink.bytes = 0
  sink.sha256 = () => hash.copy().digest('hex')
  return sink
}

/** The most bytes received within any window of `windowMs` (sliding over arrival times). */
export function maxInWindow(received: readonly Received[], windowMs: number): number {
  const sorted = [...received].sort((a, b) => a.at - b.at)
  let best = 0
  let sum = 0
  let start = 0
  for (const r of sorted) {
    sum += r.bytes
    while (r.at - sorted[start]!.at > windowMs) sum -= sorted[start++]!.bytes
    best = Math.max(best, sum)
  }
  return best
}
