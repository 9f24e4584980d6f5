import type { ReplicationRecord } from './replication-record.ts'
import { formatBytes } from '../util/files.ts'

/** The report's "Replication" section: log bytes written by the load back and swap, and per replica how it got its copy. */
export function replicationMarkdown(r: ReplicationRecord | null, table: (head: string[], rows: string[][]) => string): string[] {
  if (!r) return []
  const log = r.log === 'wal' ? 'WAL' : r.log === 'binlog' ? 'binary log' : 'no replication log'
  const bytes = (n: number | null) => (n === null ? 'unknown' : formatBytes(n))
  const lines = ['', '## Replication', '',
    r.log === 'none' ? 'The server loaded has no binary log: nothing replicates from it.'
      : `${log} written on production: ${bytes(r.bytes.loadback)} by the load back, ${bytes(r.bytes.swap)} from then through the swap (${bytes(r.bytes.total)} in all). `
        + (r.load === 'direct' ? 'No row went through the log: each replica was loaded directly.' : 'The rows went through the log to the replicas.')]
  if (r.reason) lines.push('', `Warning: the load went through the log: ${r.reason}.`)
  if (r.replicas.length > 0) {
    lines.push('', table(['replica', 'loaded', 'verified', 'note'], r.replicas.map((x) => [
      x.replica, x.load, x.verified === undefined ? '–' : x.verified ? '✓' : '✗', x.followedSwap === false ? 'has not applied the swap (see the log)' : x.reason ?? '',
    ])))
  }
  return lines
}
