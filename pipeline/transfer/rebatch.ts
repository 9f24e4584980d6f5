import { Transform, type TransformCallback } from 'node:stream'

/**
 * Gathers small chunks into buffers of about `size` bytes. A COPY or query stream yields about
 * one chunk per row: passed on as they are, each would cost its own write to a file or socket
 * and its own protocol message to the server. 256 KiB at a time keeps memory flat and the
 * system calls few.
 */
export class Rebatch extends Transform {
  private parts: Buffer[] = []
  private size = 0
  constructor(private readonly target = 256 * 1024) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.parts.push(chunk)
    this.size += chunk.length
    if (this.size < this.target) {
      callback()
      return
    }
    callback(null, this.joined())
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.size > 0 ? this.joined() : undefined)
  }

  private joined(): Buffer {
    const batch = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size)
    this.parts = []
    this.size = 0
    return batch
  }
}
