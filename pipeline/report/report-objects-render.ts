import { el, esc } from './html.ts'
import { htmlTable } from './report-html-tables.ts'
import { VERDICT_TEXT, type ObjectRow } from './report-objects.ts'

type MarkdownTable = (head: string[], rows: string[][]) => string

/** Past this many rows a hop's object list folds away under its summary. */
const LONG = 12

const ROW_CLASS = { equal: 'row-ok', differs: 'row-mismatch', behind: 'row-behind' } as const

/** "3 sequences, 1 materialized view: 1 differs, 1 behind max(id)" */
export function objectSummary(rows: readonly ObjectRow[]): string {
  const count = (kind: ObjectRow['kind']) => rows.filter((r) => r.kind === kind).length
  const what = ([['sequence', 'sequences'], ['materialized view', 'materialized views']] as const)
    .filter(([kind]) => count(kind) > 0).map(([kind, many]) => `${count(kind)} ${count(kind) === 1 ? kind : many}`).join(', ')
  const differ = rows.filter((r) => r.verdict === 'differs').length
  const behind = rows.filter((r) => r.verdict === 'behind').length
  const flags = [differ ? `${differ} differ${differ === 1 ? 's' : ''}` : '', behind ? `${behind} behind max(id)` : ''].filter(Boolean)
  return `${what}: ${flags.length ? flags.join(', ') : 'all equal'}`
}

const side = (value: string | null) => (value === null ? 'missing' : value)

/** A hop's sequences and materialized views, before → after with the verdict; folded when long, open when any needs a look. */
export function objectsHtml(rows: readonly ObjectRow[], sides: [string, string]): string {
  if (rows.length === 0) return ''
  const table = htmlTable(objectSummary(rows), [
    { head: 'object' }, { head: 'name' }, { head: sides[0] }, { head: `→ ${sides[1]}` }, { head: 'verdict' },
  ], rows.map((r) => ({
    cls: ROW_CLASS[r.verdict],
    cells: [
      el('td', {}, esc(r.kind)), el('th', { scope: 'row', class: 'table-name' }, `<code>${esc(r.name)}</code>`),
      el('td', { class: 'mono' }, esc(side(r.before))), el('td', { class: 'mono' }, esc(side(r.after))),
      el('td', { class: 'check', title: r.detail ?? undefined }, esc(VERDICT_TEXT[r.verdict]) + (r.detail ? `<br><small>${esc(r.detail)}</small>` : '')),
    ],
  })))
  if (rows.length <= LONG) return table
  const open = rows.some((r) => r.verdict !== 'equal') ? { open: '' } : {}
  return el('details', { class: 'objects', ...open }, `<summary>${esc(`Sequences and materialized views (${objectSummary(rows)})`)}</summary>${table}`)
}

/** The same list in report.md: differing rows first, flagged in the verdict column. */
export function objectsMarkdown(rows: readonly ObjectRow[], sides: [string, string], table: MarkdownTable): string[] {
  if (rows.length === 0) return []
  return ['', `Sequences and materialized views (${objectSummary(rows)}):`, '', table(['object', 'name', sides[0], sides[1], 'verdict'],
    rows.map((r) => [r.kind, r.name, side(r.before), side(r.after), `${VERDICT_TEXT[r.verdict]}${r.detail ? ` (${r.detail})` : ''}`]))]
}
