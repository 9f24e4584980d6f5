import { appendFileSync } from 'node:fs'
import type { StageName } from './errors.ts'
import { redactSecrets } from './util/redact.ts'

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
  constructor(private readonly file: string | undefined, private readonly secrets: readonly string[]) {}

  write(event: RunEvent): void {
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
