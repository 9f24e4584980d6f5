/**
 * Report sections for what the migration did beyond its steps: row transforms (rows and bytes in
 * and out), expectations (with the values found) and which tables it carried over unchanged.
 */
import type { CarryOverRecord, ExpectationResult } from '../run-state/check-records.ts'
import type { CheckpointRecord, TransformRecord } from '../run-state/stage-records.ts'
import type { Manifest } from '../run-state/run-dir.ts'
import { formatBytes, formatSeconds } from '../util/files.ts'
import { el, esc } from './html.ts'

export interface MigrationReport {
  transforms: (TransformRecord & { step: number })[]
  expectations: ExpectationResult[]
  carryOver: CarryOverRecord[]
  checkpoint: CheckpointRecord | null
}

export function migrationReport(m: Manifest): MigrationReport {
  return {
    transforms: m.steps.flatMap((s) => (s.transform ? [{ step: s.index, ...s.transform }] : [])),
    expectations: m.expectations ?? [],
    carryOver: m.carryOver ?? [],
    checkpoint: m.checkpoint ?? null,
  }
}

const CARRY: Record<CarryOverRecord['status'], string> = {
  unchanged: 'carried over unchanged',
  'data-changed': 'unchanged definition, data changed',
  'definition-changed': 'definition changed',
  new: 'new',
  dropped: 'dropped',
}

const perSecond = (n: number, ms: number) => n / (Math.max(ms, 1) / 1000)
const sum = (c?: { rows: number; digest: string }) => (c ? `${c.rows} rows · ${c.digest}` : '–')

type Table = { head: string[]; rows: string[][] }

function transformTable(r: MigrationReport): Table {
  return {
    head: ['step', 'transform', 'from', 'to', 'rows in', 'rows out', 'time', 'speed'],
    rows: r.transforms.map((t) => [
      String(t.step), t.name,
      t.sources.map((s) => `${s.table}${s.joined ? ` ⟕ ${s.joined}` : ''}: ${s.rows} rows, ${formatBytes(s.bytes)}`).join('; '),
      t.targets.map((x) => `${x.table}: ${x.rows} rows, ${formatBytes(x.bytes)}`).join('; '),
      String(t.rowsIn), String(t.rowsOut), formatSeconds(t.ms),
      `${Math.round(perSecond(t.rowsIn, t.ms))} rows/s, ${formatBytes(perSecond(t.bytesIn, t.ms))}/s`,
    ]),
  }
}

function expectationTable(r: MigrationReport): Table {
  return {
    head: ['expectation', 'check', 'found', 'expected', ''],
    rows: r.expectations.map((e) => [e.name, e.detail ? `${e.check} (${e.detail})` : e.check, e.found ?? 'NULL', e.expected ?? 'NULL', e.ok ? '✓' : '✗']),
  }
}

function carryTable(r: MigrationReport): Table {
  return {
    head: ['table', 'after the migration', 'before (hop 1)', 'after'],
    rows: r.carryOver.map((c) => [c.table, CARRY[c.status], sum(c.before), sum(c.after)]),
  }
}

const carrySummary = (r: MigrationReport) => {
  const n = (s: CarryOverRecord['status']) => r.carryOver.filter((c) => c.status === s).length
  return `${n('unchanged')} carried over unchanged, ${n('data-changed')} with unchanged definition but changed data, ${n('definition-changed')} changed, ${n('new')} new, ${n('dropped')} dropped`
}

/** Markdown sections (empty when the run had none of these). */
export function migrationMarkdown(r: MigrationReport, markdownTable: (head: string[], rows: string[][]) => string): string[] {
  const parts: string[] = []
  if (r.transforms.length) {
    const t = transformTable(r)
    parts.push('', '## Row transforms', '', markdownTable(t.head, t.rows))
  }
  if (r.expectations.length) {
    const t = expectationTable(r)
    parts.push('', `## Expectations (${r.expectations.filter((e) => e.ok).length}/${r.expectations.length} hold)`, '', markdownTable(t.head, t.rows))
  }
  if (r.carryOver.length) {
    const t = carryTable(r)
    parts.push('', `## Tables after the migration (${carrySummary(r)})`, '', markdownTable(t.head, t.rows))
  }
  if (r.checkpoint) {
    parts.push('', `Staging checkpoint: ${r.checkpoint.kind} at ${r.checkpoint.location}${r.checkpoint.bytes ? ` (${formatBytes(r.checkpoint.bytes)})` : ''}, saved in ${formatSeconds(r.checkpoint.ms)}${r.checkpoint.restores?.length ? `; restored ${r.checkpoint.restores.length} time(s)` : ''}.`)
  }
  return parts
}

function htmlTable(caption: string, t: Table, rowClass: (i: number) => string | undefined): string {
  const head = t.head.map((h) => el('th', { scope: 'col' }, esc(h))).join('')
  const body = t.rows.map((row, i) => el('tr', { class: rowClass(i) }, row.map((c, j) => (j === 0 ? el('th', { scope: 'row' }, `<code>${esc(c)}</code>`) : el('td', {}, esc(c)))).join(''))).join('\n')
  return `<table>\n<caption>${esc(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`
}

/** HTML sections, each `<section>` (none when the run had none of these). */
export function migrationHtml(r: MigrationReport): string[] {
  const section = (title: string, body: string) => `<section>\n<h2>${esc(title)}</h2>\n${body}\n</section>`
  const out: string[] = []
  if (r.transforms.length) {
    out.push(section('Row transforms', htmlTable(`${r.transforms.length} transform step(s)`, transformTable(r), () => 'row-ok')))
  }
  if (r.expectations.length) {
    const ok = r.expectations.filter((e) => e.ok).length
    out.push(section('Expectations', htmlTable(`${ok} of ${r.expectations.length} expectations hold`, expectationTable(r),
      (i) => (r.expectations[i]!.ok ? 'row-ok' : 'row-mismatch'))))
  }
  if (r.carryOver.length) {
    out.push(section('Tables after the migration', htmlTable(carrySummary(r), carryTable(r), () => undefined)))
  }
  return out
}

/** One line for the summary on stdout, when the run had transforms, expectations or carry-over checks. */
export function migrationSummary(r: MigrationReport): string[] {
  const parts: string[] = []
  if (r.transforms.length) {
    parts.push(`${r.transforms.length} transform(s), ${r.transforms.reduce((n, t) => n + t.rowsIn, 0)} rows in, ${r.transforms.reduce((n, t) => n + t.rowsOut, 0)} out`)
  }
  if (r.expectations.length) parts.push(`expectations ${r.expectations.filter((e) => e.ok).length}/${r.expectations.length} hold`)
  if (r.carryOver.length) parts.push(`${r.carryOver.filter((c) => c.status === 'unchanged').length} table(s) carried over unchanged`)
  return parts.length ? [`migration: ${parts.join('; ')}`] : []
}
