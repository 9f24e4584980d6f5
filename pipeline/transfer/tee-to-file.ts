import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream'
import { Transform, type TransformCallback, type Writable } from 'node:stream'
import { type Compression, encoder } from './file-codec.ts'
import { Meter } from '../util/meter.ts'

/**
 * Passes every chunk on and writes it to a file as well (compressed when asked). A chunk moves
 * on only once the file side has taken it (drained), so the slower of the two sinks sets the
 * pace and nothing piles up. The file is ended and flushed before the stream ends; a file error
 * fails the stream. `stored` hashes and counts the bytes as they land in the file.
 */
export class TeeToFile extends Transform {
  readonly stored = new Meter()
  private readonly entry: Writable
  private readonly written: Promise<void>
  constructor(path: string, compression: Compression = 'none') {
    super()
    const chain = [...encoder(compression), this.stored]
    this.entry = chain[0]!
    this.written = new Promise((resolve, reject) => {
      pipeline([...chain, createWriteStream(path, { mode: 0o600 })], (error) => (error ? reject(error) : resolve()))
    })
    this.written.catch((error: Error) => this.destroy(error))
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.entry.write(chunk)) callback(null, chunk)
    else this.entry.once('drain', () => callback(null, chunk))
  }

  override _flush(callback: TransformCallback): void {
    this.entry.end()
    this.written.then(() => callback(), callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.entry.destroy()
    callback(error)
  }
}
