import { formatBytes, formatSeconds } from '../util/files.ts'
import type { Check, ReportData } from './report-data.ts'
import { replicationMarkdown } from '../replication/replication-report.ts'
import { migrationMarkdown } from './report-migration.ts'
import { objectsMarkdown } from './report-objects-render.ts'
import { refreshMarkdown } from './report-refresh.ts'
import { shadowLabel, swapPathLine } from './report-swap-path.ts'

const MARK: Record<Check, string> = { ok: '✓', mismatch: '✗', 'not-run': '–', kept: '= kept' }

/** A `|` or line break inside a cell (table names may hold either) would split the row. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')

/** A markdown table; cells are escaped. */
export function markdownTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n')
}

const digest = (c: { rows: number; digest: string } | null) => (c ? `${c.rows} rows · ${c.digest}` : '–')

/** report.md: what a person reads to sign the upgrade off. */
export function reportMarkdown(r: ReportData): string {
  const verdict = r.verdict === 'verified' ? '✓ VERIFIED' : r.verdict === 'failed' ? '✗ FAILED' : r.verdict.toUpperCase()
  const parts = [
    `# drydock run ${r.runId}: ${verdict}`,
    '',
    `- Source: ${r.source} (${r.sourceVersion ?? 'version unknown'})`,
    `- Checksum: ${r.checksumAlgorithm ?? 'not recorded'}`,
    `- Snapshot: ${r.snapshot ? `${r.snapshot.id} at ${r.snapshot.position}, ${r.snapshot.takenAt}` : '–'}`,
    `- Staging: ${r.staging.kind}${r.staging.endpoint ? ` ${r.staging.endpoint}` : ''}${r.staging.version ? ` (${r.staging.version})` : ''}`,
    `- Target: ${r.target.kind === 'in-place' ? `in place, shadow ${shadowLabel(r)}, backup ${r.target.backup ?? '–'}` : r.target.endpoint}`,
    `- Swap: ${r.swap ? `${r.swap.status} at ${r.swap.at}` : 'not done'}`,
    ...r.holdings.map((h) => `- \`${h.database}\` holds ${h.holds}`),
  ]
  if (r.failure) parts.push(`- Failure: ${r.failure.code} in ${r.failure.stage ?? '?'}${r.failure.table ? ` (${r.failure.table})` : ''}: ${r.failure.message}`)
  parts.push('', '## Sign-off', '', ...r.signoff.map(([k, v]) => `- ${k}: ${v}`))
  if (r.next.length) parts.push('', 'Next:', '', '```', ...r.next.flatMap((n) => [`# ${n.what}`, n.command]), '```')
  if (r.provenance) parts.push('', 'Config as drydock read it (passwords and secret values removed):', '', '```json', JSON.stringify(r.provenance.config, null, 2), '```')
  parts.push('', '## Stages', '', markdownTable(['stage', 'status', 'time'], r.stages.map((s) => [s.name, s.status, s.ms === null ? '–' : formatSeconds(s.ms)])))
  parts.push('', `## Hop 1: production snapshot → staging (${r.hop1.verified}/${r.hop1.tables.length} verified)`, '',
    markdownTable(['table', 'rows', 'dump', 'production', 'staging', ''], r.hop1.tables.map((t) => [
      t.table, t.carried ? String(t.rows ?? '–') : 'left out', t.carried ? formatBytes(t.bytes) : '–',
      digest(t.production), digest(t.staging), MARK[t.check],
    ])))
  parts.push(...objectsMarkdown(r.hop1.objects, ['production', 'staging'], markdownTable))
  parts.push(...refreshMarkdown(r, markdownTable))
  if (r.steps.length) {
    parts.push('', '## Migration steps', '', markdownTable(['#', 'step', 'kind', 'status', 'time', 'files (sha256)', 'log'], r.steps.map((s) => [
      String(s.index), s.name, s.kind, s.status, formatSeconds(s.ms),
      (s.files ?? []).map((f) => `${f.file} (${f.sha256.slice(0, 12)}…${f.ms === undefined ? '' : `, ${formatSeconds(f.ms)}`})`).join('; ') || '–', s.log])))
  }
  parts.push(...migrationMarkdown(r, markdownTable))
  if (r.schemaDiff) {
    const d = r.schemaDiff
    parts.push('', `## Schema change (${d.removed.length} statement(s) gone, ${d.added.length} new, ${d.same} the same)`, '')
    if (d.removed.length + d.added.length === 0) parts.push('The migration left the schema as it was.')
    else parts.push('```diff', ...d.removed.map((s) => `- ${s}`), ...d.added.map((s) => `+ ${s}`), '```')
  }
  parts.push('', `## Hop 2: migrated staging → production copy (${r.hop2.verified}/${r.hop2.tables.length} verified)`, '',
    markdownTable(['table', 'rows', 'file', 'staging', 'production copy', ''], r.hop2.tables.map((t) => [
      t.table, String(t.rows ?? '–'), formatBytes(t.bytes), digest(t.staging), digest(t.production), MARK[t.check],
    ])))
  parts.push(...objectsMarkdown(r.hop2.objects, ['staging (migrated)', 'production copy'], markdownTable))
  if (r.sequencesBehind.length) {
    parts.push('', '## Warnings', '', ...r.sequencesBehind.map((b) =>
      `- Sequence ${b.sequence} would hand out ${b.next}, but ${b.column} already holds up to ${b.max} (carried as the migration left it). Fix: \`${b.fix}\``))
  }
  if (r.keep && r.keep.tables.length > 0) {
    const saved = r.keep.estimatedMsSaved === undefined ? '' : `, about ${formatSeconds(r.keep.estimatedMsSaved)} of load back saved (estimate: at the speed of this run's dump)`
    parts.push('', `Kept live (unchanged by the migration, not copied): ${r.keep.tables.length} table(s), ${formatBytes(r.keep.bytes)}${saved}.`)
  }
  const path = swapPathLine(r)
  if (path) parts.push('', `${path.charAt(0).toUpperCase()}${path.slice(1)}.`)
  const byReason = new Map<string, string[]>()
  for (const c of r.keep?.copiedAnyway ?? []) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), c.table])
  for (const [reason, tables] of byReason) {
    const list = tables.length > 8 ? `${tables.slice(0, 8).join(', ')} and ${tables.length - 8} more` : tables.join(', ')
    parts.push(`- Unchanged by the migration but copied (${list}): ${reason}`)
  }
  parts.push(...replicationMarkdown(r.replication, markdownTable))
  parts.push('', 'Checksum: per table, row count and the sum of a 64-bit hash of each row\'s canonical text (PostgreSQL: hashtextextended; MySQL/MariaDB: the first 64 bits of SHA-1); equal values on both sides of a hop mean the same multiset of rows.', '')
  return parts.join('\n')
}
