/** The stylesheet of report.html: system fonts only, readable on screen and on paper. */
export const REPORT_CSS = `
:root { --ok: #0a6b2e; --bad: #b3001b; --warn: #8a5a00; --muted: #5b6470; --line: #d5d9de; --bg-alt: #f5f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1f24; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1rem; font-weight: 600; color: var(--muted); margin: 0 0 10px; letter-spacing: .02em; }
h2 { font-size: 1.2rem; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .86em; }
.verdict { border-radius: 10px; padding: 22px 28px; color: #fff; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.verdict-verified { background: var(--ok); }
.verdict-failed { background: var(--bad); }
.verdict-rolled-back, .verdict-incomplete { background: var(--warn); }
.verdict-mark { font-size: 3rem; font-weight: 800; line-height: 1.1; margin: 0; letter-spacing: .03em; }
.verdict-line { font-size: 1.15rem; margin: 6px 0 0; }
.verdict dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 16px 0 0; font-size: 1rem; }
.verdict dt { font-weight: 700; }
.verdict dd { margin: 0; }
.verdict pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: .9rem; background: rgba(0,0,0,.18); padding: 8px 10px; border-radius: 6px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 5px 20px; margin: 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
figure { margin: 0; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: 4px; }
svg.timeline { width: 100%; height: auto; display: block; }
svg.timeline text { font: 13px system-ui, "DejaVu Sans", sans-serif; fill: #1b1f24; }
svg.timeline .bar-done { fill: #3b7dd8; }
svg.timeline .bar-failed { fill: var(--bad); }
svg.timeline .bar-running { fill: #9aa4af; }
svg.timeline .grid { stroke: var(--line); }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
caption { text-align: left; color: var(--muted); padding-bottom: 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); border-bottom: 2px solid var(--line); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.check { text-align: center; font-weight: 800; font-size: 1.1rem; }
tr.row-ok td.check { color: var(--ok); }
tr.row-kept td.check { color: var(--ok); }
tr.row-mismatch { background: #fde8eb; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
tr.row-mismatch td.check { color: var(--bad); }
tr.row-not-run td.check { color: var(--muted); }
tr.row-behind { background: #fff4d6; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
tr.row-behind td.check { color: var(--warn); }
details.objects > summary { cursor: pointer; font-weight: 600; margin: 10px 0 6px; }
.tag { display: inline-block; font-size: .75rem; font-weight: 700; padding: 1px 6px; border-radius: 4px; margin-left: 6px; border: 1px solid currentColor; white-space: nowrap; }
.tag-new { color: #1d5fb8; }
.tag-dropped { color: var(--warn); }
.tag-left-out { color: var(--muted); }
.table-name { word-break: break-all; }
.explain p { max-width: 80ch; }
footer { margin-top: 36px; color: var(--muted); font-size: .85rem; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, figure, .verdict { break-inside: avoid; }
  thead { display: table-header-group; }
}
pre.schema-diff, pre.commands { white-space: pre-wrap; word-break: break-word; font-size: .85rem; background: #f6f8fa; padding: 8px 10px; border-radius: 6px; }
pre.schema-diff del { color: #b31d28; background: #ffeef0; text-decoration: none; display: block; }
pre.schema-diff ins { color: #22863a; background: #f0fff4; text-decoration: none; display: block; }
`
