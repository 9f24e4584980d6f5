import { appendFileSync } from 'node:fs'
import type { StageName } from '../errors.ts'
import { redactSecrets } from '../util/redact.ts'

export type RunEvent =
  | { kind: 'stage-start'; stage: StageName }
  | { kind: 'stage-done'; stage: StageName; ms: number }
  | { kind: 'stage-skip'; stage: StageName; reason: string }
  | { kind: 'stage-failed'; stage: StageName; code: string; message: string }
  | { kind: 'table-done'; stage: StageName; table: string; part?: number; rows: number; bytes: number; ms: number }
  | { kind: 'info'; stage: StageName; message: string }
  | { kind: 'warning'; stage: StageName; message: string }

/** The run's JSON-lines event log. Every line passes through redaction before it is written. */
export class EventLog {
  /** `echo`: also given each event as one readable line (--verbose), redacted the same way. */
  constructor(
    private readonly file: string | undefined, private readonly secrets: readonly string[],
    private readonly echo?: (line: string) => void,
  ) {}

  write(event: RunEvent): void {
    this.echo?.(redactSecrets(eventLine(event), this.secrets))
    if (!this.file) return
    const line = JSON.stringify({ at: new Date().toISOString(), ...event })
    try {
      appendFileSync(this.file, `${redactSecrets(line, this.secrets)}\n`, { mode: 0o600 })
    } catch (error) {
      // A full disk stops the run at its next manifest write (DD_DISK_FULL), not in a log line.
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    }
  }
}

/** An event as a person reads it: `[loadback] public.patch: 40,000 rows, 12.0 MB in 1.2 s`. */
export function eventLine(event: RunEvent): string {
  const at = `[${event.stage}]`
  switch (event.kind) {
    case 'stage-start': return `${at} started`
    case 'stage-done': return `${at} done in ${(event.ms / 1000).toFixed(1)} s`
    case 'stage-skip': return `${at} skipped: ${event.reason}`
    case 'stage-failed': return `${at} failed: ${event.code}: ${event.message}`
    case 'table-done': return `${at} ${event.table}${event.part === undefined ? '' : ` part ${event.part + 1}`}: ${event.rows.toLocaleString('en')} rows, ${(event.bytes / 1e6).toFixed(1)} MB in ${(event.ms / 1000).toFixed(1)} s`
    case 'info': return `${at} ${event.message}`
    case 'warning': return `${at} warning: ${event.message}`
  }
}
