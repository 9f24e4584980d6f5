import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { PartRange, Session, TableRef } from '../drivers/driver.ts'
import { DrydockError } from '../errors.ts'
import { type StageProgress, streamTicker } from '../display/progress.ts'
import { type FileRecord, tableKey } from '../run-state/run-dir.ts'
import { fsyncPath } from '../util/files.ts'
import { Meter } from '../util/meter.ts'
import { Rebatch } from './rebatch.ts'
import { type Compression, encoder } from './file-codec.ts'

/** A file name that is unique (by position, and part) and safe whatever the table is called. */
export function dataFileName(position: number, table: TableRef, extension: string, part?: { index: number; count: number }, suffix = ''): string {
  const safe = `${table.schema}.${table.name}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100)
  return `${String(position).padStart(4, '0')}-${safe}${part && part.count > 1 ? `.p${String(part.index + 1).padStart(3, '0')}` : ''}.${extension}${suffix}`
}

/**
 * Streams one table (or one part of it) into `dir/file` with backpressure, then fsyncs and
 * renames it into place: a file with its final name is always complete. Returns its rows,
 * size and sha256.
 */
export interface FileWriteOptions {
  progress?: StageProgress
  range?: PartRange
  label?: string
  compression?: Compression
}

export async function tableToFile(session: Session, table: TableRef, dir: string, file: string, options: FileWriteOptions = {}): Promise<FileRecord> {
  const path = join(dir, file)
  const partial = `${path}.partial`
  const tick = options.progress?.start(options.label ?? tableKey(table))
  const reader = await session.readTable(table, options.range)
  const meter = new Meter(streamTicker(tick, reader.liveRows))
  const compression = options.compression ?? 'none'
  // Without compression the file holds exactly the bytes `meter` hashed.
  const stored = compression === 'none' ? meter : new Meter()
  try {
    await pipeline([reader.stream, new Rebatch(), meter, ...encoder(compression), ...(stored === meter ? [] : [stored]), createWriteStream(partial, { mode: 0o600 })])
    await fsyncPath(partial)
  } catch (error) {
    await rm(partial, { force: true })
    throw diskFullOr(error, dir, file, stored.bytes, table)
  }
  await rename(partial, path)
  tick?.done(reader.rows())
  return fileRecord(file, reader.rows(), stored, compression, meter.bytes)
}

/** The record of a file: its bytes and hash as stored, and the raw size when compressed. */
export function fileRecord(file: string, rows: number, stored: Meter, compression: Compression, rawBytes: number): FileRecord {
  return { file, rows, bytes: stored.bytes, sha256: stored.digest(), ...(compression === 'none' ? {} : { compression, rawBytes }) }
}

/** ENOSPC as DD_DISK_FULL naming the folder; any other error as it is. */
export function diskFullOr(error: unknown, dir: string, file: string, bytes: number, table: TableRef): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') return error
  return new DrydockError('DD_DISK_FULL', `the disk of ${dir} is full (writing ${file}, ${bytes} bytes so far)`, {
    table: tableKey(table), hint: 'free space there (the plan shows how much the run needs), then continue with --resume',
  }, { cause: error })
}
