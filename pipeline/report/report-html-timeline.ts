import { formatSeconds } from '../util/files.ts'
import { esc } from './html.ts'
import type { ReportData } from './report-data.ts'

const WIDTH = 1000
const LABEL = 130
const VALUE = 120
const ROW = 28
const TOP = 8
const AXIS = 26

/** Axis ticks at 1, 2 or 5 × 10^n ms, about six across the run. */
function tickStep(totalMs: number): number {
  const rough = Math.max(totalMs / 6, 1)
  const power = 10 ** Math.floor(Math.log10(rough))
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough
}

/** Right of the bar, or left of it when the text would run off the chart. */
function valueLabel(label: string, barStart: number, barEnd: number, y: number): string {
  const fits = barEnd + 6 + label.length * 7.5 <= WIDTH
  const [at, anchor] = fits ? [barEnd + 6, 'start'] : [barStart - 6, 'end']
  return `<text x="${at.toFixed(1)}" y="${y}" text-anchor="${anchor}">${esc(label)}</text>`
}

/**
 * The stages as a Gantt chart: stages run one after another, so each bar starts where the
 * previous one ended and its length is the stage's share of the run.
 */
export function timelineSvg(r: ReportData): string {
  const total = Math.max(r.stages.reduce((sum, s) => sum + (s.ms ?? 0), 0), 1)
  const span = WIDTH - LABEL - VALUE
  const x = (ms: number) => LABEL + (ms / total) * span
  const height = TOP + r.stages.length * ROW + AXIS
  const parts: string[] = []
  const step = tickStep(total)
  for (let t = 0; t <= total; t += step) {
    parts.push(`<line class="grid" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${TOP}" y2="${height - AXIS + 4}"/>`,
      `<text x="${x(t).toFixed(1)}" y="${height - 6}" text-anchor="middle">${esc(formatSeconds(t))}</text>`)
  }
  let start = 0
  r.stages.forEach((s, i) => {
    const y = TOP + i * ROW
    const ms = s.ms ?? 0
    const width = Math.max((ms / total) * span, 2)
    const label = s.ms === null ? s.status : `${formatSeconds(ms)}${s.status === 'done' ? '' : ` (${s.status})`}`
    parts.push(
      `<text x="${LABEL - 10}" y="${y + 18}" text-anchor="end">${esc(s.name)}</text>`,
      `<rect class="bar-${esc(s.status)}" x="${x(start).toFixed(1)}" y="${y + 5}" width="${width.toFixed(1)}" height="${ROW - 10}" rx="3"><title>${esc(`${s.name}: ${label}`)}</title></rect>`,
      valueLabel(label, x(start), x(start) + width, y + 18),
    )
    start += ms
  })
  const summary = r.stages.map((s) => `${s.name} ${s.ms === null ? s.status : formatSeconds(s.ms)}`).join(', ')
  return `<svg class="timeline" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(`Stage timeline: ${summary}`)}">${parts.join('')}</svg>`
}
