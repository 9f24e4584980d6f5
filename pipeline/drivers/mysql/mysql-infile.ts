import type { Socket } from 'node:net'
import { Readable, type Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type mysql from 'mysql2'
import { DrydockError } from '../../errors.ts'
import type { TableRef } from '../driver.ts'
import { loadTargets, type Column } from './mysql-columns.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'

/**
 * Feeds LOAD DATA LOCAL with backpressure. mysql2 writes every chunk it is handed straight to
 * the socket, so the next chunk is only handed over once the socket has drained (and, before
 * the server asks for the file, once the readable side has room). A failure of the feeding
 * side ends the file cleanly: the statement completes and the caller rolls the transaction
 * back, instead of leaving the server waiting for the rest of the file.
 */
class InfileGate extends Writable {
  private wake?: () => void
  readonly output = new Readable({ read: () => this.wake?.() })
  constructor(private readonly socket: Socket) {
    super()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const roomy = this.output.push(chunk)
    this.whenReady(roomy).then(() => callback(), callback)
  }

  private async whenReady(roomy: boolean): Promise<void> {
    if (!roomy) await new Promise<void>((resolve) => { this.wake = resolve })
    this.wake = undefined
    if (!this.socket.writableNeedDrain) return
    await new Promise<void>((resolve) => {
      const done = () => { this.socket.off('drain', done).off('close', done); resolve() }
      this.socket.on('drain', done).on('close', done)
    })
    if (this.socket.destroyed) throw new Error('the connection closed during LOAD DATA')
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.output.push(null)
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.wake?.()
    if (!this.output.readableEnded) this.output.push(null)
    callback(error)
  }
}

/** The LOAD DATA statement for the dump file format (mysql-dump.ts). */
export function loadSql(table: string, targets: { list: string; set: string }): string {
  return `LOAD DATA LOCAL INFILE 'drydock-stream' INTO TABLE ${quoteIdent(table)} CHARACTER SET utf8mb4
  FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY ''
  LINES TERMINATED BY '\\n' (${targets.list})${targets.set}`
}

/**
 * One LOAD DATA LOCAL of the bytes `feed` produces (a source and its transforms), inside the
 * caller's transaction. Both sides settle before it returns; the first failure is thrown. LOCAL
 * turns conversion errors and duplicate keys into warnings, so any warning fails (the caller
 * rolls back).
 */
export async function loadData(
  conn: MysqlConn, table: TableRef, columns: readonly Column[], feed: readonly (Readable | Transform)[], warningsHint?: string,
): Promise<mysql.ResultSetHeader> {
  const gate = new InfileGate((conn.raw as unknown as { stream: Socket }).stream)
  const feeding = pipeline([...feed, gate])
  const loading = conn.execute(loadSql(table.name, loadTargets(columns)), { infileStreamFactory: () => gate.output })
  loading.catch((error) => gate.destroy(error instanceof Error ? error : new Error(String(error))))
  const [load, fed] = await Promise.allSettled([loading, feeding])
  if (fed.status === 'rejected') throw fed.reason
  if (load.status === 'rejected') throw load.reason
  const result = load.value
  if (result.warningStatus > 0) {
    const warnings = await conn.query('SHOW WARNINGS LIMIT 5')
    throw new DrydockError('DD_LOAD_WARNINGS', `LOAD DATA into ${quoteIdent(table.name)} changed or skipped values (${result.warningStatus} warnings): ${warnings.map((w) => w.Message).join('; ')}`,
      warningsHint ? { hint: warningsHint } : {})
  }
  return result
}
