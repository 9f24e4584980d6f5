import { open } from 'node:fs/promises'
import type { ManifestStore, RunPaths } from '../run-state/run-dir.ts'
import { writeFileAtomic, formatBytes, formatSeconds } from '../util/files.ts'
import { reportData, type ReportData } from './report-data.ts'
import { reportHtml } from './report-html.ts'
import { reportMarkdown } from './report-markdown.ts'
import { migrationSummary } from './report-migration.ts'
import { schemaDiff } from './schema-diff.ts'
import { refreshSummary } from './report-refresh.ts'
import { swapPathLine } from './report-swap-path.ts'

/** Stage 11: report.json, report.md and report.html in the run directory; returns the data for the summary. */
export async function writeReport(paths: RunPaths, manifest: ManifestStore): Promise<ReportData> {
  const data = reportData(manifest.data, new Date(), paths.root)
  data.schemaDiff = schemaDiff(paths.schemaDir) ?? null
  for (const step of manifest.data.steps) {
    const tail = await logTail(step.log)
    if (tail) data.stepLogs[String(step.index)] = tail
  }
  await writeFileAtomic(paths.reportJson, `${JSON.stringify(data, null, 2)}\n`)
  await writeFileAtomic(paths.reportMd, reportMarkdown(data))
  await writeFileAtomic(paths.reportHtml, reportHtml(data))
  return data
}

const TAIL_BYTES = 6000

/** The last few KB of a step's log, from a whole line on (absent: no log yet). */
async function logTail(file: string): Promise<string | undefined> {
  try {
    const handle = await open(file, 'r')
    try {
      const { size } = await handle.stat()
      const start = Math.max(0, size - TAIL_BYTES)
      const buffer = Buffer.alloc(size - start)
      await handle.read(buffer, 0, buffer.length, start)
      const text = buffer.toString('utf8')
      return start > 0 ? `…\n${text.slice(text.indexOf('\n') + 1)}` : text
    } finally {
      await handle.close()
    }
  } catch {
    return undefined
  }
}

/**
 * What the operator can do next with a finished run, and where its report is: the exact
 * commands, with the run directory (a swapped run: roll back or drop the kept old database).
 */
export function nextStepsText(r: ReportData, runDir: string, reportPaths: { md: string; html: string }): string {
  const command = 'npx zx scripts/offline-upgrade.mjs'
  const lines: string[] = []
  if (r.swap?.status === 'swapped') {
    lines.push(
      `old database kept as "${r.swap.backup}" (the upgraded one is live as "${r.swap.live}")`,
      `roll back (swap the old database back):   ${command} --rollback ${runDir}`,
      `clean up (drop "${r.swap.backup}" once accepted): ${command} --cleanup ${runDir}`,
    )
  } else if (r.swap?.status === 'rolled-back') {
    lines.push(`rolled back: "${r.swap.live}" holds the data from before the upgrade again; the rejected upgrade is kept as "${r.swap.backup}"`,
      `clean up (drop "${r.swap.backup}"): ${command} --cleanup ${runDir}`)
  }
  lines.push(`report: ${reportPaths.html}`, `        ${reportPaths.md}`)
  return lines.join('\n')
}

/** The summary printed on stdout at the end of a run: aligned columns, one table a line. */
export function summaryText(r: ReportData): string {
  const rows: string[][] = [['table', 'rows', 'size', 'hop 1', 'hop 2']]
  const hop2 = new Map(r.hop2.tables.map((t) => [t.table, t]))
  const names = [...new Set([...r.hop1.tables.map((t) => t.table), ...r.hop2.tables.map((t) => t.table)])]
  const mark = (c?: string) => (c === 'ok' ? '✓' : c === 'mismatch' ? '✗' : c === 'kept' ? 'kept' : '–')
  for (const name of names) {
    const h1 = r.hop1.tables.find((t) => t.table === name)
    const h2 = hop2.get(name)
    rows.push([name, String(h2?.rows ?? h1?.rows ?? '–'), formatBytes(h2?.bytes || h1?.bytes || 0),
      h1 ? (h1.carried ? mark(h1.check) : 'left out') : 'new', h2 ? mark(h2.check) : 'dropped'])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const stages = r.stages.map((s) => `${s.name} ${s.ms === null ? '–' : formatSeconds(s.ms)}`).join(' · ')
  return [
    line(rows[0]!), ...rows.slice(1).map(line), '',
    `stages: ${stages}`,
    ...migrationSummary(r),
    ...refreshSummary(r),
    ...(swapPathLine(r) ? [swapPathLine(r)!] : []),
    ...(r.keep && r.keep.tables.length > 0
      ? [`kept live (unchanged, not copied): ${r.keep.tables.length} table(s), ${formatBytes(r.keep.bytes)}${r.keep.estimatedMsSaved === undefined ? '' : `, about ${formatSeconds(r.keep.estimatedMsSaved)} of load back saved`}`]
      : []),
    `verdict: ${r.verdict.toUpperCase()} — hop 1 ${r.hop1.verified}/${r.hop1.tables.length}, hop 2 ${r.hop2.verified}/${r.hop2.tables.length} tables verified; `
      + `total ${formatSeconds(r.attempt.ms)}${r.attempt.resumed ? ' this attempt' : ''} from pre-flight to report (stages ${formatSeconds(r.totalMs)})`,
  ].join('\n')
}
