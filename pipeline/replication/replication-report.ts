import type { ReplicationRecord } from '../run-state/replication-records.ts'
import { formatBytes } from '../util/files.ts'
import { el, esc } from '../report/html.ts'

const HEAD = ['replica', 'loaded', 'verified', 'note']

/** What the report says about replication: one sentence, a warning when the load fell back, a row per replica. */
function summary(r: ReplicationRecord): { text: string; warning?: string; rows: string[][] } {
  const log = r.log === 'wal' ? 'WAL' : 'binary log'
  const bytes = (n: number | null) => (n === null ? 'unknown' : formatBytes(n))
  const text = r.log === 'none' ? 'The server loaded has no binary log: nothing replicates from it.'
    : `${log} written on production: ${bytes(r.bytes.loadback)} by the load back, ${bytes(r.bytes.swap)} from then through the swap (${bytes(r.bytes.total)} in all). `
      + (r.load === 'direct' ? 'No row went through the log: each replica was loaded directly.' : 'The rows went through the log to the replicas.')
  const rows = r.replicas.map((x) => [
    x.replica, x.load, x.verified === undefined ? '–' : x.verified ? '✓' : '✗', x.followedSwap === false ? 'has not applied the swap (see the log)' : x.reason ?? '',
  ])
  return { text, ...(r.reason ? { warning: `the load went through the log: ${r.reason}.` } : {}), rows }
}

/** The markdown report's "Replication" section (pipeline/replication). */
export function replicationMarkdown(r: ReplicationRecord | null, table: (head: string[], rows: string[][]) => string): string[] {
  if (!r) return []
  const s = summary(r)
  return ['', '## Replication', '', s.text, ...(s.warning ? ['', `Warning: ${s.warning}`] : []), ...(s.rows.length ? ['', table(HEAD, s.rows)] : [])]
}

/** The HTML report's "Replication" section body. */
export function replicationHtml(r: ReplicationRecord | null): string | undefined {
  if (!r) return undefined
  const s = summary(r)
  const rows = s.rows.map((cells) => el('tr', {}, cells.map((c) => el('td', {}, esc(c))).join(''))).join('\n')
  const table = s.rows.length ? `<table>\n<thead><tr>${HEAD.map((h) => el('th', { scope: 'col' }, esc(h))).join('')}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>` : ''
  return `<p>${esc(s.text)}</p>${s.warning ? `<p><strong>Warning:</strong> ${esc(s.warning)}</p>` : ''}${table}`
}
