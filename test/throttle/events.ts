import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventLog } from '../../pipeline/run-state/log.ts'

export interface LoggedEvent { kind: string; stage: string; message: string }

/** A real EventLog in a temp folder, and what it wrote. */
export function eventLog(secrets: readonly string[] = []): { log: EventLog; events(): LoggedEvent[]; text(): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dd-throttle-events-'))
  const file = join(dir, 'events.jsonl')
  const text = () => (existsSync(file) ? readFileSync(file, 'utf8') : '')
  return {
    log: new EventLog(file, secrets),
    text,
    events: () => text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as LoggedEvent),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
