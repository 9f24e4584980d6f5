import { createHash } from 'node:crypto'

/** sha256 of definition lines, sorted so that catalog order never matters. */
export function fingerprintLines(lines: readonly string[]): string {
  const hash = createHash('sha256')
  for (const line of [...lines].sort()) hash.update(line).update('\n')
  return hash.digest('hex')
}
