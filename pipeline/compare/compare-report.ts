import { join } from 'node:path'
import { markdownTable } from '../report/report-markdown.ts'
import { formatSeconds, writeFileAtomic } from '../util/files.ts'
import type { CompareResult } from './compare-databases.ts'
import { checksumText, counts, KIND_TEXT, outcome } from './compare-outcome.ts'
import { MAX_DIFFERENCES } from './locate-differences.ts'

const SHOWN_KEYS = 20

/** compare.json: the result as it is, versioned like report.json. */
export function compareReportData(r: CompareResult) {
  return { schemaVersion: 1, kind: 'compare', ...r, counts: counts(r) }
}

const verdictText = (r: CompareResult) => (r.verdict === 'equal' ? '✓ EQUAL' : '✗ DIFFERENT')

function countsText(r: CompareResult): string {
  const c = counts(r)
  return `${c.tables} tables: ${c.equal} equal, ${c.differs} differ, ${c.onlyLeft} only on left, ${c.onlyRight} only on right`
    + `, ${r.sequences.compared} sequences: ${r.sequences.mismatches.length} differ`
}

/** One line per sequence that differs. */
const sequenceLines = (r: CompareResult) => r.sequences.mismatches.map((m) => `${m.table}: ${m.detail}`)

/** compare.md: what a person reads. */
export function compareMarkdown(r: CompareResult): string {
  const parts = [
    `# drydock verify: ${verdictText(r)}`, '',
    `- Left: ${r.left}`, `- Right: ${r.right}`,
    `- Schemas: ${r.schemas?.join(', ') ?? 'every non-system schema'}`,
    `- Compared: ${r.startedAt}, in ${formatSeconds(r.ms)}`,
    `- ${countsText(r)}`, '',
    '## Tables', '',
    markdownTable(['table', 'left', 'right', 'result'], r.tables.map((t) => [t.table, checksumText(t.left), checksumText(t.right), outcome(t)])),
  ]
  if (r.sequences.mismatches.length) parts.push('', '## Differing sequences', '', ...sequenceLines(r).map((line) => `- ${line}`))
  for (const t of r.tables) {
    if (!t.located?.differences.length) continue
    parts.push('', `## Differing rows of ${t.table} (key ${t.located.key})`, '',
      markdownTable(['key', 'difference', 'columns'], t.located.differences.map((d) => [d.key, KIND_TEXT[d.kind], d.columns?.join(', ') ?? ''])))
    if (t.located.truncated) parts.push('', `More keys differ: only the first ${MAX_DIFFERENCES} are listed.`)
  }
  parts.push('', 'Checksum: per table, row count and the sum of a 64-bit hash of each row\'s canonical text, as in the upgrade\'s verification. '
    + 'Differing rows are found by comparing checksums of primary-key ranges on both sides and splitting the ranges that differ, down to single rows.', '')
  return parts.join('\n')
}

export async function writeCompareReport(dir: string, r: CompareResult): Promise<{ json: string; markdown: string }> {
  const json = join(dir, 'compare.json')
  const markdown = join(dir, 'compare.md')
  await writeFileAtomic(json, `${JSON.stringify(compareReportData(r), null, 2)}\n`)
  await writeFileAtomic(markdown, compareMarkdown(r))
  return { json, markdown }
}

/** Printed on stdout: aligned columns, one table a line, then the differing keys and the verdict. */
export function compareSummaryText(r: CompareResult): string {
  const rows = [['table', 'left rows', 'right rows', 'result'],
    ...r.tables.map((t) => [t.table, String(t.left?.rows ?? '–'), String(t.right?.rows ?? '–'), outcome(t)])]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  const line = (row: string[]) => row.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : i === 3 ? c : c.padEnd(widths[i]!))).join('  ')
  const keys = r.tables.flatMap((t) => {
    const found = t.located?.differences ?? []
    if (!found.length) return []
    const shown = found.slice(0, SHOWN_KEYS).map((d) => `${KIND_TEXT[d.kind]} ${d.key}`).join(' · ')
    const more = found.length > SHOWN_KEYS || t.located!.truncated ? ' · …' : ''
    return [`${t.table} (${t.located!.key}): ${shown}${more}`]
  })
  return [
    `left:  ${r.left}`, `right: ${r.right}`, '',
    ...rows.map(line), ...(keys.length ? ['', ...keys] : []), ...(r.sequences.mismatches.length ? ['', ...sequenceLines(r)] : []), '',
    `verdict: ${r.verdict.toUpperCase()} — ${countsText(r)}; ${formatSeconds(r.ms)}`,
  ].join('\n')
}
