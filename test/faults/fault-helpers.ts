/** Small tools for the fault tests: slow streams, the kernel's view of a socket, hashing. */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Transform, type TransformCallback, Writable } from 'node:stream'

/** Passes bytes on at about `bytesPerSecond`, with backpressure (so the producer slows down too). */
export function throttle(bytesPerSecond: number): Transform {
  const started = Date.now()
  let sent = 0
  return new Transform({
    highWaterMark: 16 * 1024,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      sent += chunk.length
      const due = started + (sent / bytesPerSecond) * 1000
      const wait = due - Date.now()
      if (wait <= 0) callback(null, chunk)
      else setTimeout(() => callback(null, chunk), wait)
    },
  })
}

/** A sink that hashes what it receives; `digest()` once finished. */
export function hashSink(): Writable & { digest(): string; bytes: number } {
  const hash = createHash('sha256')
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      sink.bytes += chunk.length
      callback()
    },
  }) as Writable & { digest(): string; bytes: number }
  sink.bytes = 0
  sink.digest = () => hash.digest('hex')
  return sink
}

/**
 * The kernel's timer of the TCP socket bound to local port `port` on 127.0.0.1 (from
 * /proc/net/tcp): `keepalive` when SO_KEEPALIVE armed its timer on an idle connection.
 */
export function socketTimer(port: number): 'none' | 'retransmit' | 'keepalive' | 'time-wait' | 'other' | 'missing' {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try { text = readFileSync(file, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 6 || !cols[1]!.endsWith(`:${hexPort}`) || cols[3] !== '01') continue
      const timer = cols[5]!.split(':')[0]
      return timer === '00' ? 'none' : timer === '01' ? 'retransmit' : timer === '02' ? 'keepalive' : timer === '03' ? 'time-wait' : 'other'
    }
  }
  return 'missing'
}

