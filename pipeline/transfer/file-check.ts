import { createHash } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { FileRecord } from '../run-state/run-dir.ts'

/**
 * Whether a data file written by an earlier attempt is still exactly what its record says
 * (size, then sha256 over the whole file): resume reuses it only then.
 */
export async function fileStillGood(dir: string, record: FileRecord | undefined): Promise<boolean> {
  if (!record) return false
  const path = join(dir, record.file)
  if (!existsSync(path) || statSync(path).size !== record.bytes) return false
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), async function* (source) {
    for await (const chunk of source) hash.update(chunk as Buffer)
  })
  return hash.digest('hex') === record.sha256
}
