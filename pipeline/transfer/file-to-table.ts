import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import type { Transform } from 'node:stream'
import type { Session, TableRef, WriteOptions } from '../drivers/driver.ts'
import { DrydockError } from '../errors.ts'
import { fileTicker, type StageProgress } from '../display/progress.ts'
import { type FileRecord, tableKey } from '../run-state/run-dir.ts'
import { Meter } from '../util/meter.ts'
import { decoder } from './file-codec.ts'

export interface FileLoadOptions {
  progress?: StageProgress
  /** Load one part of the table (see WriteOptions.part) instead of replacing all its rows. */
  part?: WriteOptions['part']
  /** More transforms after the hash check (a rate limit). */
  through?: Transform[]
  label?: string
}

/**
 * Loads a data file into a table in one transaction. The file is hashed as it streams and
 * the load commits only if the hash and row count match what was recorded when it was
 * written: a truncated or altered file never reaches a database.
 */
export async function fileToTable(
  session: Session, table: TableRef, dir: string, record: FileRecord, options: FileLoadOptions = {},
): Promise<number> {
  const path = join(dir, record.file)
  const tick = options.progress?.start(options.label ?? tableKey(table))
  // `meter` hashes the file's bytes; `raw` counts the rows' text after decompression, if any.
  const raw = new Meter(fileTicker(tick, record.rows, record.rawBytes ?? record.bytes))
  const meter = record.compression ? new Meter() : raw
  const decode = record.compression ? [...decoder(record.compression), raw] : []
  const rows = await session.writeTable(table, createReadStream(path), [meter, ...decode, ...(options.through ?? [])], {
    ...(options.part ? { part: options.part } : {}),
    beforeCommit: (rows) => {
      const sha256 = meter.digest()
      if (sha256 !== record.sha256 || meter.bytes !== record.bytes) {
        throw new DrydockError('DD_DUMP_CORRUPT', `data file ${path} changed after it was written (sha256 ${sha256.slice(0, 12)}… ≠ recorded ${record.sha256.slice(0, 12)}…, ${meter.bytes} ≠ ${record.bytes} bytes)`, {
          table: tableKey(table), hint: 'the load was rolled back; rerun with --resume to dump the table again',
        })
      }
      if (rows !== record.rows) throw countMismatch(rows, record, table)
    },
  })
  tick?.done(rows)
  return rows
}

export function countMismatch(rows: number, record: FileRecord, table: TableRef): DrydockError {
  return new DrydockError('DD_LOAD_COUNT_MISMATCH', `the server took ${rows} rows from ${record.file}, which holds ${record.rows}`, {
    table: tableKey(table), hint: 'the load was rolled back; rerun with --resume',
  })
}
