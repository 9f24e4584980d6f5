/**
 * The "window vs in place" section of bench/results.md from the window bench's results: the
 * issue's targets as ratios (pure functions, no servers: test/unit/window-report.test.ts).
 */

export interface RunTimes {
  wallMs: number
  windowMs: number
  windowSource: string
  logBytes: number
  stages: Record<string, number>
  /** The migration steps' own time (older result files lack it: the migrate stage's then). */
  stepsMs?: number
  replication?: unknown
}
export interface PrestageTimes extends RunTimes { prestageMs: number; rowsChanged: number; refreshMs: number }
export interface MigrationResult {
  inPlace: { ms: number; logBytes: number }
  drydock: RunTimes
  prestage: PrestageTimes | { unavailable: string }
  tableBytes?: number
}
export interface WindowResult {
  engine: 'pg' | 'mysql'
  scale: number
  rows: number
  loads: { what: string; load: number }[]
  smallTable?: string
  migrations: { patchwork?: MigrationResult; small?: MigrationResult }
}
export interface TargetRow {
  target: string
  engine: string
  scale: number
  measured: string
  against: string
  ratio: number | null
  limit: number
  note?: string
}

const engineName = (e: string) => (e === 'pg' ? 'PostgreSQL' : 'MariaDB')
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
const isStaged = (p: MigrationResult['prestage']): p is PrestageTimes => !('unavailable' in p)

/** Bytes drydock reports sending replicas outside the WAL / binlog (manifest `replication.bytes`). */
export function replicationExtra(replication: unknown): number {
  const bytes = (replication as { bytes?: unknown } | null | undefined)?.bytes
  return typeof bytes === 'number' && Number.isFinite(bytes) ? bytes : 0
}

/** a ÷ b, or null when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null
  return a / b
}

/** The window drydock offers: with a prestage when the checkout has it, else the whole run. */
function windowRun(m: MigrationResult): { run: RunTimes; how: string } {
  return isStaged(m.prestage)
    ? { run: m.prestage, how: 'prestage, window = refresh → swap' }
    : { run: m.drydock, how: 'no prestage: window = the whole run' }
}

const sum = (stages: Record<string, number>, names: string[]) => names.reduce((a, n) => a + (stages[n] ?? 0), 0)

export function targetRows(r: WindowResult): TargetRow[] {
  const rows: TargetRow[] = []
  const base = { engine: engineName(r.engine), scale: r.scale }
  const pw = r.migrations.patchwork
  const small = r.migrations.small
  if (pw) {
    const { run, how } = windowRun(pw)
    rows.push({ ...base, target: 'Patchwork-style upgrade: window ÷ in place', measured: s(run.windowMs), against: s(pw.inPlace.ms),
      ratio: ratio(run.windowMs, pw.inPlace.ms), limit: r.engine === 'pg' ? 1.0 : 0.5, note: how })
    const bytes = run.logBytes + replicationExtra(run.replication)
    rows.push({ ...base, target: 'Patchwork-style upgrade: replication bytes on production ÷ in place', measured: mb(bytes), against: mb(pw.inPlace.logBytes),
      ratio: ratio(bytes, pw.inPlace.logBytes), limit: 0.5, note: `${r.engine === 'pg' ? 'WAL' : 'binlog'} over the window${replicationExtra(run.replication) ? ' + manifest replication.bytes' : ''}; ${how}` })
  }
  if (small) {
    const { run, how } = windowRun(small)
    rows.push({ ...base, target: `one small table (${r.smallTable ?? 'patchwork_person'}): window ÷ today's full round trip`, measured: s(run.windowMs), against: s(small.drydock.wallMs),
      ratio: ratio(run.windowMs, small.drydock.wallMs), limit: 0.2, note: how })
    const bytes = run.logBytes + replicationExtra(run.replication)
    rows.push({ ...base, target: `one small table (${r.smallTable ?? 'patchwork_person'}): WAL/binlog on production ÷ the changed table's size`, measured: mb(bytes), against: mb(small.tableBytes ?? 0),
      ratio: ratio(bytes, small.tableBytes), limit: 1.5, note: `${how}; in place wrote ${mb(small.inPlace.logBytes)}` })
  }
  for (const [kind, m] of [['Patchwork-style upgrade', pw], ['one small table', small]] as const) {
    if (!m) continue
    const step = m.drydock.stepsMs ?? m.drydock.stages.migrate
    rows.push({ ...base, target: `migration step on ephemeral staging ÷ in place (${kind})`, measured: s(step ?? Number.NaN), against: s(m.inPlace.ms),
      ratio: ratio(step, m.inPlace.ms), limit: 0.7, note: `the steps' own time; the migrate stage with its checks took ${s(m.drydock.stages.migrate ?? 0)}` })
  }
  if (pw) {
    const full = sum(pw.drydock.stages, ['dump', 'load', 'verify-hop1'])
    rows.push(isStaged(pw.prestage)
      ? { ...base, target: 'refresh after prestage, 1 % of rows changed ÷ full dump + load + hop 1', measured: s(pw.prestage.refreshMs), against: s(full),
        ratio: ratio(pw.prestage.refreshMs, full), limit: 0.25, note: `${pw.prestage.rowsChanged} rows changed` }
      : { ...base, target: 'refresh after prestage, 1 % of rows changed ÷ full dump + load + hop 1', measured: '—', against: s(full),
        ratio: null, limit: 0.25, note: pw.prestage.unavailable })
  }
  return rows
}

export function verdict(row: Pick<TargetRow, 'ratio' | 'limit'>): string {
  return row.ratio === null ? '—' : row.ratio <= row.limit ? '✅' : '❌'
}

export function targetTable(results: WindowResult[]): string {
  const lines = ['| target | engine | scale | drydock | in place / today | ratio | limit | | how |', '|---|---|---:|---:|---:|---:|---:|---|---|']
  for (const r of results) {
    for (const t of targetRows(r)) {
      lines.push(`| ${t.target} | ${t.engine} | ${t.scale} | ${t.measured} | ${t.against} | ${t.ratio === null ? '—' : t.ratio.toFixed(2)} | ≤ ${t.limit} | ${verdict(t)} | ${t.note ?? ''} |`)
    }
  }
  return lines.join('\n')
}

/** Per engine, scale and migration: the raw times and bytes behind the ratios. */
export function detailTable(results: WindowResult[]): string {
  const lines = [
    '| engine | scale | migration | in place | in place WAL/binlog | drydock round trip | window (no prestage) | WAL/binlog in it | migration steps on staging | dump + load + hop 1 | migrate stage | loadback + hop 2 | swap | prestage window | WAL/binlog in it | refresh |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of results) {
    for (const [kind, m] of Object.entries(r.migrations)) {
      if (!m) continue
      const d = m.drydock
      const p = isStaged(m.prestage) ? m.prestage : undefined
      lines.push(`| ${engineName(r.engine)} | ${r.scale} | ${kind} | ${s(m.inPlace.ms)} | ${mb(m.inPlace.logBytes)} | ${s(d.wallMs)} | ${s(d.windowMs)} | ${mb(d.logBytes)} | ${s(d.stepsMs ?? d.stages.migrate ?? 0)} | ${s(sum(d.stages, ['dump', 'load', 'verify-hop1']))} | ${s(d.stages.migrate ?? 0)} | ${s(sum(d.stages, ['loadback', 'verify-hop2']))} | ${s(d.stages.swap ?? 0)} | ${p ? s(p.windowMs) : '—'} | ${p ? mb(p.logBytes) : '—'} | ${p ? s(p.refreshMs) : '—'} |`)
    }
  }
  return lines.join('\n')
}

export const SECTION_TITLE = '## Window vs in place'

/** Puts `section` (starting with SECTION_TITLE) in place of the file's old one, or at its end. */
export function replaceSection(file: string, section: string): string {
  const start = file.indexOf(SECTION_TITLE)
  if (start < 0) return `${file.trimEnd()}\n\n${section.trimEnd()}\n`
  const next = file.indexOf('\n## ', start + SECTION_TITLE.length)
  const rest = next < 0 ? '' : file.slice(next + 1)
  return `${file.slice(0, start)}${section.trimEnd()}\n${rest ? `\n${rest}` : ''}`
}
