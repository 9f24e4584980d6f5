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

  render(): string {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000)
    const head = `${this.doneTables}/${this.totalTables} tables · ${this.rows.toLocaleString('en')} rows · ${formatBytes(this.bytes)} · ${formatBytes(this.bytes / seconds)}/s`
    const lines = [...this.active.entries()].slice(0, 6).map(([table, a]) => {
      const s = Math.max(0.001, (Date.now() - a.startedAt) / 1000)
      return `  ${table}: ${a.rows.toLocaleString('en')} rows, ${formatBytes(a.bytes)}, ${formatBytes(a.bytes / s)}/s`
    })
    return [head, ...lines].join('\n')
  }
}
