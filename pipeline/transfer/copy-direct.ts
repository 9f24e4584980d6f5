import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Transform } from 'node:stream'
import type { PartRange, Session, TableRef, WriteOptions } from '../drivers/driver.ts'
import { diskFullOr, fileRecord } from './table-to-file.ts'
import type { Compression } from './file-codec.ts'
import { countMismatch } from './file-to-table.ts'
import { type StageProgress, streamTicker } from '../display/progress.ts'
import type { FileRecord } from '../run-state/run-dir.ts'
import { fsyncPath } from '../util/files.ts'
import { Meter } from '../util/meter.ts'
import { TeeToFile } from './tee-to-file.ts'
import { Rebatch } from './rebatch.ts'

export interface DirectOptions {
  range?: PartRange
  part?: WriteOptions['part']
  progress?: StageProgress
  label: string
  /** After the file tee (a rate limit on the database side). */
  through?: Transform[]
  compression?: Compression
}

/**
 * Direct mode: one table or part streams from `from` into `to` and, on the way, into its file
 * (the backup and the resume point). The load commits only once the file is complete, fsynced
 * and renamed, and the server took as many rows as were read; otherwise both are undone.
 * Returns the file's record, also when the commit itself failed after the file was complete
 * (`committed` false): that file can still be loaded later.
 */
export async function copyDirect(
  from: Session, to: Session, table: TableRef, dir: string, file: string, options: DirectOptions,
): Promise<{ record?: FileRecord; committed: boolean; error?: unknown }> {
  const path = join(dir, file)
  const partial = `${path}.partial`
  const tick = options.progress?.start(options.label)
  const reader = await from.readTable(table, options.range)
  // The writer opens its transaction before it pipes the rows: an error of the reading side in
  // that moment must not go unhandled (the writer's pipeline still sees it: the stream is errored).
  reader.stream.on('error', () => {})
  const meter = new Meter(streamTicker(tick, reader.liveRows))
  let record: FileRecord | undefined
  const compression = options.compression ?? 'none'
  const tee = new TeeToFile(partial, compression)
  try {
    await to.writeTable(table, reader.stream, [new Rebatch(), meter, tee, ...(options.through ?? [])], {
      ...(options.part ? { part: options.part } : {}),
      beforeCommit: async (rows) => {
        await fsyncPath(partial)
        await rename(partial, path)
        record = fileRecord(file, reader.rows(), tee.stored, compression, meter.bytes)
        if (rows !== record.rows) throw countMismatch(rows, record, table)
      },
    })
  } catch (error) {
    await rm(partial, { force: true })
    const failure = diskFullOr(error, dir, file, tee.stored.bytes, table)
    if (record && record.rows !== undefined) return { record, committed: false, error: failure }
    throw failure
  }
  tick?.done(record!.rows)
  return { record: record!, committed: true }
}
