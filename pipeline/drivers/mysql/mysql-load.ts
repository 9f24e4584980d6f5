import type { Socket } from 'node:net'
import { Readable, type Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { DrydockError } from '../../errors.ts'
import type { TableRef, WriteOptions } from '../driver.ts'
import { partWhere } from './mysql-parts.ts'
import { loadTargets, tableColumns } from './mysql-columns.ts'
import { errno, type MysqlConn, quoteIdent } from './mysql-connect.ts'

const LOCAL_INFILE_DISABLED = [1148, 3948, 4166]

/**
 * Feeds LOAD DATA LOCAL with backpressure. mysql2 writes every chunk it is handed straight to
 * the socket, so the next chunk is only handed over once the socket has drained (and, before
 * the server asks for the file, once the readable side has room).
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
    if (error) this.output.destroy(error)
    callback(error)
  }
}

/** The LOAD DATA statement for the dump format of mysql-dump.ts. */
export function loadSql(table: string, targets: { list: string; set: string }): string {
  return `LOAD DATA LOCAL INFILE 'drydock-stream' INTO TABLE ${quoteIdent(table)} CHARACTER SET utf8mb4
  FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY ''
  LINES TERMINATED BY '\\n' (${targets.list})${targets.set}`
}

/**
 * TRUNCATE (a reload starts clean; a part instead deletes its own key range when asked), then
 * the rows in one transaction with unique and foreign key checks off. LOCAL turns conversion
 * errors and duplicate keys into warnings, so any warning fails the load. `beforeCommit` may
 * still veto it.
 */
export async function writeTable(
  conn: MysqlConn, table: TableRef, source: Readable, through: Transform[], options: WriteOptions = {},
): Promise<number> {
  const { part, beforeCommit } = options
  const columns = await tableColumns(conn, table)
  await conn.query('SET SESSION foreign_key_checks = 0, unique_checks = 0')
  if (!part) await conn.query(`TRUNCATE TABLE ${quoteIdent(table.name)}`)
  await conn.query('START TRANSACTION')
  try {
    if (part?.clear) await conn.query(`DELETE FROM ${quoteIdent(table.name)}${partWhere(part.range)}`)
    const gate = new InfileGate((conn.raw as unknown as { stream: Socket }).stream)
    const feeding = pipeline([source, ...through, gate])
    const loading = conn.execute(loadSql(table.name, loadTargets(columns)), { infileStreamFactory: () => gate.output })
    // Whichever fails first stops the other: a server error must not leave the file stream waiting.
    loading.catch((error) => gate.destroy(error instanceof Error ? error : new Error(String(error))))
    feeding.catch((error) => gate.output.destroy(error))
    const [result] = await Promise.all([loading, feeding])
    if (result.warningStatus > 0) {
      const warnings = await conn.query('SHOW WARNINGS LIMIT 5')
      throw new DrydockError('DD_LOAD_WARNINGS', `LOAD DATA into ${quoteIdent(table.name)} changed or skipped values (${result.warningStatus} warnings): ${warnings.map((w) => w.Message).join('; ')}`, {
        hint: 'the load was rolled back; the column definitions or sql_mode of the target differ from the source',
      })
    }
    await beforeCommit?.(result.affectedRows)
    await conn.query('COMMIT')
    return result.affectedRows
  } catch (error) {
    await conn.query('ROLLBACK').catch(() => {})
    if (LOCAL_INFILE_DISABLED.includes(errno(error) ?? 0)) {
      throw new DrydockError('DD_LOCAL_INFILE_OFF', `${conn.endpoint.host}:${conn.endpoint.port} refuses LOAD DATA LOCAL INFILE`, {
        hint: 'enable it on that server: SET GLOBAL local_infile = ON (or local_infile=1 in its config)',
      }, { cause: error })
    }
    throw error
  } finally {
    await conn.query('SET SESSION foreign_key_checks = 1, unique_checks = 1').catch(() => {})
  }
}
