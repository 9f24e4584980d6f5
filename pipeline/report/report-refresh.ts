import type { Manifest } from '../run-state/run-dir.ts'
import { formatSeconds } from '../util/files.ts'

/** report.json: the prestage (without its per-part checksums), the refresh, the window. */
export function refreshReport(m: Manifest) {
  const p = m.prestage
  return {
    prestage: p ? { status: p.status, at: p.at, snapshot: p.snapshot, parts: Object.values(p.parts).reduce((n, list) => n + list.length, 0), ms: p.ms } : null,
    refresh: m.refresh ?? null,
    window: m.window ?? null,
  }
}

type RefreshReport = ReturnType<typeof refreshReport>

/** The summary's lines about the refresh and the window. */
export function refreshSummary(r: RefreshReport): string[] {
  const out: string[] = []
  if (r.prestage?.status === 'prestaged') out.push(`prestaged: ${r.prestage.parts} refresh part(s) recorded; in the window, stop the application and --resume this run`)
  if (r.refresh?.ms !== undefined) {
    out.push(`refresh: ${r.refresh.partsCopied} of ${r.refresh.partsChecked} part(s) copied again (${r.refresh.rowsCopied} rows), ${r.refresh.tables.length} table(s) touched, ${formatSeconds(r.refresh.ms)}`)
  }
  if (r.window) out.push(`window: ${formatSeconds(r.window.ms)} (${r.window.startedAt} → ${r.window.endedAt})`)
  return out
}

/** report.md: what the refresh copied again and why. */
export function refreshMarkdown(r: RefreshReport, table: (head: string[], rows: string[][]) => string): string[] {
  const out: string[] = []
  if (r.prestage) out.push('', '## Prestage', '', `Prestaged at ${r.prestage.at} (snapshot ${r.prestage.snapshot.id} at ${r.prestage.snapshot.position}): ${r.prestage.parts} refresh part(s), ${r.prestage.status}.`)
  if (r.refresh?.ms !== undefined) {
    out.push('', '## Refresh (start of the window)', '',
      `New snapshot ${r.refresh.snapshot?.id ?? '–'} at ${r.refresh.snapshot?.position ?? '–'}; ${r.refresh.partsCopied} of ${r.refresh.partsChecked} part(s) copied again, ${r.refresh.rowsCopied} rows, in ${formatSeconds(r.refresh.ms)}. Every part is equal on production (new snapshot) and staging; the write fence starts at this snapshot.`)
    if (r.refresh.tables.length > 0) {
      out.push('', table(['table', 'action', 'parts', 'rows', 'time', 'why'], r.refresh.tables.map((t) => [
        t.table, t.action, t.action === 'dropped' ? '–' : `${t.parts}/${t.ofParts}`, String(t.rows), formatSeconds(t.ms), t.reason])))
    } else {
      out.push('', 'Nothing changed on production since the prestage.')
    }
  }
  if (r.window) out.push('', `Window: ${formatSeconds(r.window.ms)}, ${r.window.startedAt} → ${r.window.endedAt}.`)
  return out
}
