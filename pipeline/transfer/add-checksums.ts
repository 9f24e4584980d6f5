import type { TableChecksum } from '../drivers/driver.ts'

/**
 * Digests are exact sums of per-row hashes (decimal text, possibly negative on PostgreSQL), so
 * the digest of disjoint parts is the sum of theirs: a table checksummed part by part equals
 * the same table checksummed whole.
 */
export function addChecksums(sums: readonly TableChecksum[]): TableChecksum {
  let rows = 0
  let digest = 0n
  for (const sum of sums) {
    rows += sum.rows
    digest += BigInt(sum.digest)
  }
  return { rows, digest: digest.toString() }
}
