import { formatBytes } from '../util/files.ts'

interface Active { rows: number; bytes: number; startedAt: number }

/** Counts of one side of a stage that reads two databases at once (verify: production and staging). */
interface Side { done: number; total: number; unit: string; rows: number }

export interface ProgressTick {
  /** Bytes moved and rows passed since the last call. */
  add(bytes: number, rows: number): void
  /** The unit is finished; `exactRows`, when known, replaces the rows counted along the way. */
  done(exactRows?: number): void
}

/**
 * Per-stage counters that the UI renders: what the stage is doing, units done (tables or
 * parts, per side when it reads two databases), rows, bytes, MB/s, units under way, ETAs.
 */
export class StageProgress {
  readonly startedAt = Date.now()
  doneTables = 0
  rows = 0
  bytes = 0
  /** Units (tables, or parts of them) the stage will finish; 0 while unknown. */
  totalTables = 0
  /** What the units are called (`tables`, `parts`, `steps`). */
  unit = 'tables'
  /** The phase under way when it is not a table copy (`building 14 indexes`, `step 2: 0002-foo.sql`). */
  phase: string | undefined
  /** Bytes the stage will move, when known: gives the stage's ETA from its measured speed. */
  expectedBytes = 0
  /**
   * What the stages after this one took last time (scaled), for the whole run's ETA;
   * undefined when there is no earlier run to go by (the run's ETA is then not shown).
   */
  laterMs: number | undefined
  /** This stage's time last time (scaled), for stages that move no bytes. */
  estimateMs: number | undefined
  private readonly active = new Map<string, Active>()
  private readonly sides = new Map<string, Side>()
  constructor(totalTables = 0) {
    this.totalTables = totalTables
  }

  /** Adds units to the stage's total (a stage may plan its units in several rounds). */
  expect(units: number, unit?: string): void {
    this.totalTables += units
    if (unit) this.unit = unit
  }

  /** Units of one side (`production`, `staging`) the stage will finish, and what they are called there. */
  expectOn(side: string, units: number, unit = 'tables'): void {
    const entry = this.sides.get(side) ?? { done: 0, total: 0, unit, rows: 0 }
    entry.total += units
    if (unit === 'parts') entry.unit = unit
    this.sides.set(side, entry)
  }

  /** Whether there is anything worth a line yet. */
  hasNews(): boolean {
    return this.doneTables + this.rows + this.bytes > 0 || this.estimateMs !== undefined || this.phase !== undefined || this.active.size > 0 || this.sides.size > 0
  }

  /** Seconds left in this stage: measured speed over the bytes left, else last time's duration. */
  remainingSeconds(): number | undefined {
    const elapsed = (Date.now() - this.startedAt) / 1000
    if (this.expectedBytes > 0 && this.bytes > 0 && elapsed > 1) {
      return Math.max(0, (this.expectedBytes - this.bytes) / (this.bytes / elapsed))
    }
    return this.estimateMs === undefined ? undefined : Math.max(0, this.estimateMs / 1000 - elapsed)
  }

  start(label: string, side?: string): ProgressTick {
    const entry: Active = { rows: 0, bytes: 0, startedAt: Date.now() }
    const key = side ? `${label} on ${side}` : label
    this.active.set(key, entry)
    return {
      add: (bytes, rows) => {
        entry.bytes += bytes
        entry.rows += rows
        this.bytes += bytes
        this.rows += rows
      },
      done: (exactRows) => {
        if (exactRows !== undefined) {
          this.rows += exactRows - entry.rows
          entry.rows = exactRows
        }
        this.active.delete(key)
        if (!side) this.doneTables++
        else {
          const counts = this.sides.get(side) ?? { done: 0, total: 0, unit: 'tables', rows: 0 }
          counts.rows += entry.rows
          counts.done++
          this.sides.set(side, counts)
        }
      },
    }
  }

  /** One line: the phase, the stage's totals, ETAs, then the units under way with their own speed. */
  render(): string {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000)
    const head = [
      ...(this.phase ? [this.phase] : []),
      // Nothing counted yet (a phase alone, or a stage that has not learnt its tables): no "0 tables".
      ...(this.totalTables + this.doneTables === 0 && this.sides.size === 0 ? [] : [this.units()]),
      ...(this.shownRows() > 0 ? [`${this.shownRows().toLocaleString('en')} rows`] : []),
      ...(this.bytes > 0 ? [`${formatBytes(this.bytes)}`, `${formatBytes(this.bytes / seconds)}/s`] : []),
    ]
    const active = [...this.active.entries()].slice(0, 3).map(([label, a]) => {
      const s = Math.max(0.001, (Date.now() - a.startedAt) / 1000)
      return a.bytes > 0 ? `${label} ${a.rows.toLocaleString('en')} rows ${formatBytes(a.bytes / s)}/s` : label
    })
    const more = this.active.size > 3 ? ` +${this.active.size - 3}` : ''
    const left = this.remainingSeconds()
    const run = left === undefined || this.laterMs === undefined ? '' : ` (run ${clock(left + this.laterMs / 1000)})`
    const line = [...head, ...(left === undefined ? [] : [`ETA ${clock(left)}${run}`])].join(' · ')
    return active.length ? `${line} │ ${active.join(', ')}${more}` : line
  }

  /** Rows of the stage; where it reads two sides, those of the side furthest on (the same rows are read on both). */
  shownRows(): number {
    if (this.sides.size === 0) return this.rows
    return Math.max(...[...this.sides.values()].map((c) => c.rows))
  }

  private units(): string {
    const own = this.totalTables > 0 ? `${this.doneTables}/${this.totalTables} ${this.unit}` : `${this.doneTables} ${this.unit}`
    const sides = [...this.sides].map(([side, c]) => `${side} ${c.done}${c.total > 0 ? `/${c.total}` : ''} ${c.unit}`)
    if (sides.length === 0) return own
    return [...(this.totalTables > 0 || this.doneTables > 0 ? [own] : []), ...sides].join(' · ')
  }
}

/** A progress tick for a stream whose rows are counted as it flows (`rowsNow`) or, failing that, by line ends. */
export function streamTicker(tick: ProgressTick | undefined, rowsNow?: () => number): (bytes: number, lines: number) => void {
  let shown = 0
  return (bytes, lines) => {
    const now = rowsNow ? rowsNow() : shown + lines
    tick?.add(bytes, now - shown)
    shown = now
  }
}

/** Rows of a file of known size and row count, pro rata of the bytes read so far: exact at the end. */
export function fileTicker(tick: ProgressTick | undefined, fileRows: number, fileBytes: number): (bytes: number) => void {
  let read = 0
  let shown = 0
  return (bytes) => {
    read += bytes
    const now = fileBytes > 0 ? Math.min(fileRows, Math.floor((fileRows * read) / fileBytes)) : 0
    tick?.add(bytes, now - shown)
    shown = now
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds)
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
