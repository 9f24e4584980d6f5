import type { Transform } from 'node:stream'
import { createGunzip, createGzip } from 'node:zlib'

/**
 * Optional compression of data files (config `compress`). gzip at level 1 is the fastest codec
 * Node ships (zstd needs Node 22): it saves disk, and costs CPU — on a small machine more than
 * the disk it saves, hence off by default (bench/results.md has the numbers).
 */
export type Compression = 'none' | 'gzip'

export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip']

export function fileSuffix(compression: Compression): string {
  return compression === 'gzip' ? '.gz' : ''
}

/** Transforms from the rows' bytes to the file's bytes (none without compression). */
export function encoder(compression: Compression): Transform[] {
  return compression === 'gzip' ? [createGzip({ level: 1 })] : []
}

/** Transforms from the file's bytes back to the rows' bytes. */
export function decoder(compression: Compression | undefined): Transform[] {
  return compression === 'gzip' ? [createGunzip()] : []
}
