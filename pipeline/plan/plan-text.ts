import { formatBytes, formatSeconds } from '../util/files.ts'
import type { Plan } from './plan.ts'

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n')
}

/** The plan as an operator reads it before a maintenance window. */
export function planText(plan: Plan): string {
  const tables = columns([['table', 'est. rows', 'size', 'rows'],
    ...plan.tables.map((t) => [t.table, t.estimatedRows.toLocaleString('en'), formatBytes(t.bytes), t.carried ? 'carried' : 'left out (travels empty)'])])
  const steps = plan.steps.length ? plan.steps.map((s) => `  ${s.index}. ${s.name} (${s.kind})`).join('\n') : '  (none)'
  const disk = plan.disk.map((d) => {
    const free = d.freeBytes === null ? 'free space not measurable from here' : `${formatBytes(d.freeBytes)} free`
    const warn = d.freeBytes !== null && d.freeBytes < d.needBytes ? '  ✗ NOT ENOUGH' : ''
    return `  ${d.place}: needs about ${formatBytes(d.needBytes)} at ${d.where} (${free})${warn}`
  }).join('\n')
  const range = (s: { low?: number; high?: number }) => (s.low === undefined || s.high === undefined ? '' : `${formatSeconds(s.low * 1000)} – ${formatSeconds(s.high * 1000)}`)
  const stages = columns([['stage', 'estimate', 'range', ''], ...plan.stages.map((s) => s.seconds === null
    ? [s.stage, '?', '', s.note ?? 'unknown']
    : [s.stage, formatSeconds(s.seconds * 1000), range(s), s.note ?? ''])])
  return [
    `Plan for ${plan.source} (${plan.version}) — nothing was written`,
    '', `Pre-flight checks (${plan.checksStatus === 'ok' ? 'all passed' : plan.checksStatus === 'warn' ? 'warnings' : 'FAILURES: the run would stop'}):`, plan.checks,
    '', tables, '', 'Migration steps, on staging:', steps, '', 'Where the bytes go:', disk,
    '', `Estimated durations (from ${plan.basis}):`, stages,
    '', `Maintenance window: about ${formatSeconds(plan.totalSeconds * 1000)} (${range(plan.window)})${plan.stages.some((s) => s.seconds === null) ? ' plus the migration steps' : ''}`,
  ].join('\n')
}
