import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { PartRange, Session, TableRef } from '../drivers/driver.ts'
import { DrydockError } from '../errors.ts'
import type { StageProgress } from '../progress.ts'
import { type FileRecord, tableKey } from '../run-dir.ts'
import { fsyncPath } from '../util/files.ts'
import { Meter } from '../util/meter.ts'
import { Rebatch } from '../util/rebatch.ts'

/** A file name that is unique (by position, and part) and safe whatever the table is called. */
export function dataFileName(position: number, table: TableRef, extension: string, part?: { index: number; count: number }): string {
  const safe = `${table.schema}.${table.name}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100)
  const suffix = part && part.count > 1 ? `.p${String(part.index + 1).padStart(3, '0')}` : ''
  return `${String(position).padStart(4, '0')}-${safe}${suffix}.${extension}`
}

/**
 * Streams one table (or one part of it) into `dir/file` with backpressure, then fsyncs and
 * renames it into place: a file with its final name is always complete. Returns its rows,
 * size and sha256.
 */
export async function tableToFile(
  session: Session, table: TableRef, dir: string, file: string, progress?: StageProgress, range?: PartRange, label = tableKey(table),
): Promise<FileRecord> {
  const path = join(dir, file)
  const partial = `${path}.partial`
  const tick = progress?.start(label)
  const reader = await session.readTable(table, range)
  const meter = new Meter((bytes, lines) => tick?.add(bytes, lines))
  try {
    await pipeline(reader.stream, new Rebatch(), meter, createWriteStream(partial, { mode: 0o600 }))
    await fsyncPath(partial)
  } catch (error) {
    await rm(partial, { force: true })
    throw diskFullOr(error, dir, file, meter.bytes, table)
  }
  await rename(partial, path)
  tick?.done()
  return { file, rows: reader.rows(), bytes: meter.bytes, sha256: meter.digest() }
}

/** ENOSPC as DD_DISK_FULL naming the folder; any other error as it is. */
export function diskFullOr(error: unknown, dir: string, file: string, bytes: number, table: TableRef): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') return error
  return new DrydockError('DD_DISK_FULL', `the disk of ${dir} is full (writing ${file}, ${bytes} bytes so far)`, {
    table: tableKey(table), hint: 'free space there (the plan shows how much the run needs), then continue with --resume',
  }, { cause: error })
}
