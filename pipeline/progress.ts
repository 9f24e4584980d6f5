import { formatBytes } from './util/files.ts'

interface Active { rows: number; bytes: number; startedAt: number }

/** Per-stage counters that the UI renders: tables done, rows, bytes, MB/s, tables under way. */
export class StageProgress {
  readonly startedAt = Date.now()
  doneTables = 0
  rows = 0
  bytes = 0
  /** Bytes the stage will move, when known: gives the stage's ETA from its measured speed. */
  expectedBytes = 0
  /** What the stages after this one took last time (scaled), for the whole run's ETA. */
  laterMs = 0
  /** This stage's time last time (scaled), for stages that move no bytes. */
  estimateMs: number | undefined
  private readonly active = new Map<string, Active>()
  constructor(public totalTables = 0) {}

  /** Seconds left in this stage: measured speed over the bytes left, else last time's duration. */
  remainingSeconds(): number | undefined {
    const elapsed = (Date.now() - this.startedAt) / 1000
    if (this.expectedBytes > 0 && this.bytes > 0 && elapsed > 1) {
      return Math.max(0, (this.expectedBytes - this.bytes) / (this.bytes / elapsed))
    }
    return this.estimateMs === undefined ? undefined : Math.max(0, this.estimateMs / 1000 - elapsed)
  }

  start(table: string): { add(bytes: number, rows: number): void; done(): void } {
    const entry: Active = { rows: 0, bytes: 0, startedAt: Date.now() }
    this.active.set(table, entry)
    return {
      add: (bytes, rows) => {
        entry.bytes += bytes
        entry.rows += rows
        this.bytes += bytes
        this.rows += rows
      },
      done: () => {
        this.active.delete(table)
        this.doneTables++
      },
    }
  }

  /** One line: the stage's totals, then the tables under way with their own speed. */
  render(): string {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000)
    const head = `${this.doneTables}/${this.totalTables} tables · ${this.rows.toLocaleString('en')} rows · ${formatBytes(this.bytes)} · ${formatBytes(this.bytes / seconds)}/s`
    const active = [...this.active.entries()].slice(0, 3).map(([table, a]) => {
      const s = Math.max(0.001, (Date.now() - a.startedAt) / 1000)
      return a.bytes > 0
        ? `${table} ${a.rows.toLocaleString('en')} rows ${formatBytes(a.bytes / s)}/s`
        : table
    })
    const more = this.active.size > 3 ? ` +${this.active.size - 3}` : ''
    const left = this.remainingSeconds()
    const eta = left === undefined ? '' : ` · ETA ${clock(left)} (run ${clock(left + this.laterMs / 1000)})`
    return active.length ? `${head}${eta} │ ${active.join(', ')}${more}` : `${head}${eta}`
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds)
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
