import { Transform, type TransformCallback } from 'node:stream'

const QUOTE = 0x22
const COMMA = 0x2c
const NEWLINE = 0x0a
const NULL_WORD = Buffer.from('NULL')
/** Output is pushed in chunks of about this size. */
const CHUNK = 256 * 1024

/**
 * Rows (arrays of the server's bytes, or null for SQL NULL) to the dump file's CSV (see
 * mysql-dump.ts): every value quoted with `"` doubled inside, NULL as the bare word NULL,
 * `\n` after every row. The bytes are copied as they came from the server, never decoded into
 * JavaScript strings and encoded again: byte for byte what csv-stringify wrote from the
 * decoded strings (a `"` byte is never part of a multi-byte UTF-8 character), at a fraction of
 * the CPU. Counts the rows it writes.
 */
export class CsvWriter extends Transform {
  rows = 0
  private buf = Buffer.allocUnsafe(CHUNK)
  private at = 0

  constructor() {
    super({ writableObjectMode: true, writableHighWaterMark: 64 })
  }

  override _transform(row: (Buffer | null)[], _encoding: BufferEncoding, callback: TransformCallback): void {
    this.rows++
    for (let i = 0; i < row.length; i++) {
      if (i > 0) this.byte(COMMA)
      const value = row[i]
      if (value === null || value === undefined) {
        this.copy(NULL_WORD)
      } else {
        this.byte(QUOTE)
        this.quoted(value)
        this.byte(QUOTE)
      }
    }
    this.byte(NEWLINE)
    if (this.at >= CHUNK / 2) this.flushChunk()
    callback()
  }

  override _flush(callback: TransformCallback): void {
    this.flushChunk()
    callback()
  }

  private flushChunk(): void {
    if (this.at === 0) return
    this.push(this.buf.subarray(0, this.at))
    this.buf = Buffer.allocUnsafe(CHUNK)
    this.at = 0
  }

  private byte(b: number): void {
    if (this.at === this.buf.length) this.flushChunk()
    this.buf[this.at++] = b
  }

  /** Copies `value` with every `"` doubled. */
  private quoted(value: Buffer): void {
    let from = 0
    for (let q = value.indexOf(QUOTE); q !== -1; q = value.indexOf(QUOTE, q + 1)) {
      this.copy(value.subarray(from, q + 1))
      this.byte(QUOTE)
      from = q + 1
    }
    this.copy(from === 0 ? value : value.subarray(from))
  }

  private copy(bytes: Buffer): void {
    if (bytes.length > this.buf.length - this.at) {
      this.flushChunk()
      // A value larger than a chunk goes out as it is (a copy: the server's packet buffer is not ours to keep).
      if (bytes.length > this.buf.length) {
        this.push(Buffer.from(bytes))
        return
      }
    }
    this.at += bytes.copy(this.buf, this.at)
  }
}
