import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

const NEWLINE = 0x0a

/**
 * A pass-through that hashes (sha256) and counts bytes and line ends as data flows, so the
 * file written and the file read back can be proven identical without a second pass.
 */
export class Meter extends Transform {
  private readonly hash: Hash = createHash('sha256')
  bytes = 0
  lines = 0
  constructor(private readonly onChunk?: (bytes: number, lines: number) => void) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    let lines = 0
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++
    this.lines += lines
    this.onChunk?.(chunk.length, lines)
    callback(null, chunk)
  }

  digest(): string {
    return this.hash.digest('hex')
  }
}
