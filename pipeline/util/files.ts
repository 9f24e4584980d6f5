import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { DrydockError } from '../errors.ts'

/**
 * Writes a file so that readers see the old or the new content, never a half-written one.
 * A full disk is DD_DISK_FULL naming the folder (the old content stays).
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.tmp-${process.pid}`
  try {
    await writeFile(temp, content, { mode: 0o600 })
    await fsyncPath(temp)
    await rename(temp, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    await rm(temp, { force: true })
    throw new DrydockError('DD_DISK_FULL', `the disk of ${dirname(path)} is full (writing ${basename(path)})`, {
      hint: 'free space there (the plan shows how much the run needs), then continue with --resume',
    }, { cause: error })
  }
}

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try { await handle.sync() } finally { await handle.close() }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++ }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
}
