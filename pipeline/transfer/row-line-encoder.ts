import { Transform, type TransformCallback } from 'node:stream'
import type { ColumnInfo } from '../drivers/driver.ts'

const CHUNK = 64 * 1024

/**
 * Row objects in, one text line per row out, in buffers of about 64 kB: each column's value
 * through the engine's `field` encoder (COPY text, LOAD DATA CSV), joined by `separator`.
 * `counter` hears of every buffer's size (transform MB/s).
 */
export class RowLineEncoder extends Transform {
  bytes = 0
  private parts: string[] = []
  private size = 0
  constructor(
    private readonly columns: readonly ColumnInfo[],
    private readonly field: (value: unknown, column: ColumnInfo) => string,
    private readonly separator: string,
    private readonly counter?: (bytes: number) => void,
  ) {
    super({ writableObjectMode: true, writableHighWaterMark: 64 })
  }

  override _transform(row: Record<string, unknown>, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let line = ''
      const columns = this.columns
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i]!
        const value = row[column.name]
        if (value === undefined) throw new TypeError(`row lacks column ${column.name}`)
        line += i === 0 ? this.field(value, column) : `${this.separator}${this.field(value, column)}`
      }
      this.parts.push(line, '\n')
      this.size += line.length + 1
      if (this.size >= CHUNK) this.flushParts()
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  override _flush(callback: TransformCallback): void {
    this.flushParts()
    callback()
  }

  private flushParts(): void {
    if (this.parts.length === 0) return
    const chunk = Buffer.from(this.parts.join(''), 'utf8')
    this.parts = []
    this.size = 0
    this.bytes += chunk.length
    this.counter?.(chunk.length)
    this.push(chunk)
  }
}
