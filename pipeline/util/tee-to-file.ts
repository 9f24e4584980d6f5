import { createWriteStream, type WriteStream } from 'node:fs'
import { Transform, type TransformCallback } from 'node:stream'

/**
 * Passes every chunk on and writes it to a file as well. A chunk moves on only once the file
 * has taken it (drained), so the slower of the two sinks sets the pace and nothing piles up.
 * The file is ended and flushed before the stream ends; a file error fails the stream.
 */
export class TeeToFile extends Transform {
  private readonly out: WriteStream
  constructor(path: string) {
    super()
    this.out = createWriteStream(path, { mode: 0o600 })
    this.out.on('error', (error) => this.destroy(error))
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.out.write(chunk)) callback(null, chunk)
    else this.out.once('drain', () => callback(null, chunk))
  }

  override _flush(callback: TransformCallback): void {
    this.out.end(() => callback())
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.out.destroy()
    callback(error)
  }
}
