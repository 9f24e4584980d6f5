import { basename } from 'node:path'
import type { TableChecksum } from '../drivers/driver.ts'
import { formatBytes, formatSeconds } from '../util/files.ts'
import { el, esc } from './html.ts'
import type { Check, ReportData } from './report-data.ts'

const MARK: Record<Check, { text: string; title: string }> = {
  ok: { text: '✓', title: 'verified: same row count and checksum' },
  mismatch: { text: '✗', title: 'MISMATCH: different row count or checksum' },
  'not-run': { text: '–', title: 'not checked' },
  kept: { text: '=', title: 'kept live: unchanged by the migration (same definition, same checksum before and after), not copied' },
}

interface Column { head: string; num?: boolean }

export function htmlTable(caption: string, columns: Column[], rows: { cls?: string; cells: string[] }[]): string {
  const head = columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : undefined }, esc(c.head))).join('')
  const body = rows.map((r) => el('tr', { class: r.cls }, r.cells.join(''))).join('\n')
  return `<table>\n<caption>${esc(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`
}

const td = (text: string, cls?: string) => el('td', { class: cls }, esc(text))
const num = (n: number | null | undefined) => td(n === null || n === undefined ? '–' : String(n), 'num')
const checkCell = (c: Check) => el('td', { class: 'check', title: MARK[c].title, 'aria-label': MARK[c].title }, MARK[c].text)
const tag = (kind: string, text: string) => ` ${el('span', { class: `tag tag-${kind}` }, esc(text))}`
const checksum = (c: TableChecksum | null) => (c ? el('td', { class: 'mono' }, `${esc(c.rows)} rows<br>${esc(c.digest)}`) : td('–'))

function sha(value: string | null, files: readonly { file: string; sha256: string }[] = []): string {
  if (!value && files.length > 1) {
    return el('td', { class: 'mono', title: files.map((f) => `${f.file} sha256 ${f.sha256}`).join('\n') }, esc(`${files.length} parts`))
  }
  if (!value) return td('–')
  return el('td', { class: 'mono', title: `sha256 ${value}` }, `${esc(value.slice(0, 12))}…`)
}

function nameCell(name: string, tags: string): string {
  return el('th', { scope: 'row', class: 'table-name' }, `<code>${esc(name)}</code>${tags}`)
}

/** Tables only on one side of the migration, once the migrated tables are known. */
function migrationChanges(r: ReportData) {
  const known = r.hop2.tables.length > 0
  const before = new Set(r.hop1.tables.map((t) => t.table))
  const after = new Set(r.hop2.tables.map((t) => t.table))
  return { dropped: (name: string) => known && !after.has(name), created: (name: string) => known && !before.has(name) }
}

export function hop1Table(r: ReportData): string {
  const changes = migrationChanges(r)
  return htmlTable(`${r.hop1.verified} of ${r.hop1.tables.length} tables verified`, [
    { head: 'table' }, { head: 'rows', num: true }, { head: 'dump', num: true }, { head: 'dump sha256' },
    { head: 'production checksum' }, { head: 'staging checksum' }, { head: 'check' },
  ], r.hop1.tables.map((t) => ({
    cls: `row-${t.check}`,
    cells: [
      nameCell(t.table, (t.carried ? '' : tag('left-out', 'left out: travels empty')) + (changes.dropped(t.table) ? tag('dropped', 'dropped by migration') : '')),
      t.carried ? num(t.rows) : td('–', 'num'), td(t.carried ? formatBytes(t.bytes) : '–', 'num'), sha(t.sha256, t.files),
      checksum(t.production), checksum(t.staging), checkCell(t.check),
    ],
  })))
}

export function hop2Table(r: ReportData): string {
  const changes = migrationChanges(r)
  return htmlTable(`${r.hop2.verified} of ${r.hop2.tables.length} tables verified`, [
    { head: 'table' }, { head: 'rows', num: true }, { head: 'file', num: true }, { head: 'file sha256' },
    { head: 'staging checksum (migrated)' }, { head: 'production copy checksum' }, { head: 'check' },
  ], r.hop2.tables.map((t) => ({
    cls: `row-${t.check}`,
    cells: [
      nameCell(t.table, changes.created(t.table) ? tag('new', 'new in migration') : ''),
      num(t.rows), td(formatBytes(t.bytes), 'num'), sha(t.sha256, t.files), checksum(t.staging), checksum(t.production), checkCell(t.check),
    ],
  })))
}

export function stepsTable(r: ReportData): string {
  return htmlTable(`${r.steps.filter((s) => s.status === 'done').length} of ${r.steps.length} steps done`, [
    { head: '#', num: true }, { head: 'step' }, { head: 'kind' }, { head: 'status' }, { head: 'time', num: true }, { head: 'files' }, { head: 'log' },
  ], r.steps.map((s) => ({
    cls: s.status === 'done' ? 'row-ok' : 'row-mismatch',
    cells: [num(s.index), td(s.name), td(s.kind), td(s.status === 'done' ? '✓ done' : s.status === 'running' ? '… running' : '✗ failed'), td(formatSeconds(s.ms), 'num'),
      td((s.files ?? []).map((f) => `${basename(f.file)}${f.ms === undefined ? '' : ` (${formatSeconds(f.ms)})`}`).join(', ') || '–', 'mono'),
      `<td class="mono">${esc(s.log)}${r.stepLogs[String(s.index)] ? `<details><summary>end of the log</summary><pre>${esc(r.stepLogs[String(s.index)]!)}</pre></details>` : ''}</td>`],
  })))
}
