import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { RunPaths } from './run-dir.ts'
import { formatBytes } from '../util/files.ts'

/**
 * What a finished or abandoned run still keeps on disk: its copies of production's rows. They
 * are a backup in their own right, so drydock never deletes them; it says what they are and how
 * to remove them.
 */
export function leftOnDisk(paths: RunPaths): string | undefined {
  const held = [
    { dir: paths.dumpDir, what: 'production rows as of the snapshot' },
    { dir: paths.migratedDir, what: 'the upgraded rows' },
  ].map((f) => ({ ...f, bytes: folderBytes(f.dir) })).filter((f) => f.bytes > 0)
  if (held.length === 0) return undefined
  const list = held.map((f) => `${f.dir} (${formatBytes(f.bytes)}: ${f.what})`).join(' and ')
  return `the run directory still holds ${list}; once no longer needed as a backup, remove them with: rm -rf ${held.map((f) => shellQuote(f.dir)).join(' ')}`
}

function folderBytes(dir: string): number {
  if (!existsSync(dir)) return 0
  let bytes = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    bytes += entry.isDirectory() ? folderBytes(path) : statSync(path).size
  }
  return bytes
}

function shellQuote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`
}
