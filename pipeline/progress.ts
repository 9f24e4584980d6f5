import { formatBytes } from './util/files.ts'

interface Active { rows: number; bytes: number; startedAt: number }

/** Per-stage counters that the UI renders: tables done, rows, bytes, MB/s, tables under way. */
export class StageProgress {
  readonly startedAt = Date.now()
  doneTables = 0
  rows = 0
  bytes = 0
  private readonly active = new Map<string, Active>()
  constructor(public totalTables = 0) {}

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
    return active.length ? `${head} │ ${active.join(', ')}${more}` : head
  }
}
