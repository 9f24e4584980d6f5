import { formatBytes, formatSeconds } from '../util/files.ts'
import { el, esc } from './html.ts'
import type { ReportData } from './report-data.ts'
import { REPORT_CSS } from './report-html-style.ts'
import { migrationHtml } from './report-migration.ts'
import { hop1Table, hop2Table, stepsTable } from './report-html-tables.ts'
import { objectsHtml } from './report-objects-render.ts'
import { timelineSvg } from './report-html-timeline.ts'
import { shadowLabel, swapPathLine } from './report-swap-path.ts'
import { replicationHtml } from '../replication/replication-report.ts'

// Nothing may load or run: the file is read offline and may be mailed around with the sign-off.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

const VERDICT_MARK: Record<string, string> = {
  verified: '✓ VERIFIED', failed: '✗ FAILED', 'rolled-back': '↺ ROLLED BACK', incomplete: '… INCOMPLETE',
}

function verdictLines(r: ReportData): string[] {
  const hops = `hop 1: ${r.hop1.verified}/${r.hop1.tables.length} tables verified · hop 2: ${r.hop2.verified}/${r.hop2.tables.length} tables verified`
  switch (r.verdict) {
    case 'verified': return [`Every table matched at both hops (${hops}).`, `${swapText(r)}.`]
    case 'failed': return [`The upgrade stopped (${hops}).`, r.swap ? `${swapText(r)}.` : 'The live database was not swapped.']
    case 'rolled-back': return ['The upgrade was rolled back: the pre-upgrade database is live again.', `${swapText(r)}.`]
    default: return [`The run has not finished (${hops}).`]
  }
}

function swapText(r: ReportData): string {
  if (r.swap) return `Swap: ${r.swap.status} at ${r.swap.at}; ${r.holdings.map((h) => `${h.database} holds ${h.holds}`).join('; ')}`
  return r.target.kind === 'in-place' ? 'Swap: not done' : `Loaded into the separate target ${r.target.endpoint} (no swap)`
}

function verdictHeader(r: ReportData): string {
  const mark = VERDICT_MARK[r.verdict] ?? r.verdict.toUpperCase()
  let failure = ''
  if (r.failure) {
    const rows: [string, string][] = [['code', r.failure.code], ['stage', r.failure.stage ?? '–']]
    if (r.failure.table) rows.push(['table', r.failure.table])
    failure = `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd><code>${esc(v)}</code></dd>`).join('')}`
      + `<dt>message</dt><dd><pre>${esc(r.failure.message)}</pre></dd></dl>`
  }
  return el('header', { class: `verdict verdict-${r.verdict}`, role: 'status' },
    `<p class="verdict-mark" id="verdict">${esc(mark)}</p>${verdictLines(r).map((l) => `<p class="verdict-line">${esc(l)}</p>`).join('')}${failure}`)
}

function facts(r: ReportData): string {
  const s = r.snapshot
  const rows: [string, string][] = [
    ['run', r.runId],
    ['engine', r.engine],
    ['source', `${r.source} (${r.sourceVersion ?? 'version unknown'})`],
    ['checksum', r.checksumAlgorithm ?? 'not recorded'],
    ['snapshot', s ? `${s.id} · position ${s.position} · taken ${s.takenAt}` : '–'],
    ['staging', `${r.staging.kind}${r.staging.endpoint ? ` ${r.staging.endpoint}` : ''}${r.staging.version ? ` (${r.staging.version})` : ''}`],
    ['target', r.target.kind === 'in-place' ? `in place on ${r.target.endpoint}` : `separate database ${r.target.endpoint}`],
  ]
  if (r.target.kind === 'in-place') rows.push(['shadow', shadowLabel(r)], ['backup', r.target.backup ?? '–'])
  rows.push(['swap', swapText(r).replace(/^Swap: /, '')], ['total time', formatSeconds(r.totalMs)])
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`
}

const EXPLAIN = `At each hop drydock computes, for every table and on both sides, the exact row count and a
checksum: the sum, as an exact number, of a 64-bit hash of each row's canonical text
(PostgreSQL: hashtextextended; MySQL/MariaDB: the first 64 bits of SHA-1). A sum does not depend on row order and, unlike XOR, does not cancel duplicate rows; every
session pins time zone, date, interval, float and bytea output so the same values give the same
text on both servers. Hop 1 compares the production snapshot (computed inside the snapshot the
dump read, so concurrent writes cannot blur it) with staging before the migration; each dump
file's sha256 is recorded when written and re-checked while it loads. Hop 2 compares staging
after the migration with the copy loaded into production (shadow or target). Equal counts and
checksums on both sides of a hop mean the same multiset of rows; the live database is swapped
only after both hops verified.`

const section = (title: string, body: string) => `<section>\n<h2>${esc(title)}</h2>\n${body}\n</section>`

/** report.html: one self-contained page (inline CSS and SVG, no scripts) for signing an upgrade off. */
export function reportHtml(r: ReportData): string {
  const mark = VERDICT_MARK[r.verdict] ?? r.verdict.toUpperCase()
  const body = [
    `<h1>drydock upgrade report · run ${esc(r.runId)}</h1>`,
    verdictHeader(r),
    section('Run', facts(r)),
    section('Sign-off', signoff(r)),
    section('Timeline', `<figure>${timelineSvg(r)}<figcaption>Stages in order, bar length proportional to duration; total ${esc(formatSeconds(r.totalMs))}.</figcaption></figure>`),
    section('Hop 1: production snapshot → staging', hop1Table(r) + objectsHtml(r.hop1.objects, ['production (snapshot)', 'staging'])),
    section('Migration steps', r.steps.length ? stepsTable(r) : '<p>No migration steps ran.</p>'),
    ...migrationHtml(r),
    ...(r.schemaDiff ? [section('Schema change', schemaDiffHtml(r.schemaDiff))] : []),
    section('Hop 2: migrated staging → production copy', (r.hop2.tables.length ? hop2Table(r) : '<p>Not reached: no migrated tables were loaded back.</p>') + objectsHtml(r.hop2.objects, ['staging (migrated)', 'production copy']) + keptNote(r)),
    ...(r.replication ? [section('Replication', replicationHtml(r.replication)!)] : []),
    `<section class="explain">\n<h2>How verification works</h2>\n<p>${esc(EXPLAIN.replace(/\n/g, ' '))}</p>\n</section>`,
    `<footer>drydock report, schema version ${esc(r.schemaVersion)} · the same data is in report.json beside this file.</footer>`,
  ]
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<title>${esc(`drydock run ${r.runId}: ${mark}`)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
</body>
</html>
`
}

/** Load back only what changed: which tables stayed live and the time it saved. */
function keptNote(r: ReportData): string {
  const path = swapPathLine(r)
  return `${path ? `<p>${esc(`${path.charAt(0).toUpperCase()}${path.slice(1)}`)}.</p>` : ''}${keptTablesNote(r)}`
}

function keptTablesNote(r: ReportData): string {
  if (!r.keep || r.keep.tables.length === 0) return ''
  const saved = r.keep.estimatedMsSaved === undefined ? '' : `, about ${formatSeconds(r.keep.estimatedMsSaved)} of load back saved (estimate: at the speed of this run's dump)`
  return `<p>Kept live, not copied (unchanged by the migration: same definition, same checksum before and after; the write fence shows them untouched): ${esc(String(r.keep.tables.length))} table(s), ${esc(formatBytes(r.keep.bytes))}${esc(saved)}.</p>`
}

/** Who ran it with what, the fences, what each database holds, the next commands and the config. */
function signoff(r: ReportData): string {
  const facts = `<dl class="facts">${r.signoff.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`
  const held = `<table><thead><tr><th>database</th><th>holds</th></tr></thead><tbody>${r.holdings.map((h) => `<tr><td><code>${esc(h.database)}</code></td><td>${esc(h.holds)}</td></tr>`).join('')}</tbody></table>`
  const next = r.next.length ? `<h3>Next</h3><pre class="commands">${r.next.map((n) => `# ${esc(n.what)}\n${esc(n.command)}`).join('\n')}</pre>` : ''
  const config = r.provenance ? `<details><summary>Config as drydock read it (passwords and secret values removed)</summary><pre>${esc(JSON.stringify(r.provenance.config, null, 2))}</pre></details>` : ''
  return facts + held + next + config
}

/** Before → after, statement by statement: what the migration did to the schema. */
function schemaDiffHtml(d: NonNullable<ReportData['schemaDiff']>): string {
  const head = `<p>${esc(`${d.removed.length} statement(s) gone, ${d.added.length} new, ${d.same} the same (from the schema SQL applied to staging before the migration and to the production copy after it).`)}</p>`
  if (d.removed.length + d.added.length === 0) return `${head}<p>The migration left the schema as it was.</p>`
  const lines = [...d.removed.map((s) => `<del>- ${esc(s)}</del>`), ...d.added.map((s) => `<ins>+ ${esc(s)}</ins>`)]
  return `${head}<pre class="schema-diff">${lines.join('\n')}</pre>`
}
