import { isDrydockError } from '../errors.ts'
import { redactUrls } from '../util/redact.ts'

/** Prints an error once, URLs redacted: a DrydockError as its description and code, anything else with its stack. */
export function printError(error: unknown): void {
  if (isDrydockError(error)) {
    if (!error.logged) process.stderr.write(`\n✗ ${redactUrls(error.describe())}\n  [${error.code}]\n`)
    error.logged = true
    return
  }
  process.stderr.write(`\n✗ unexpected error: ${redactUrls((error as Error)?.stack ?? String(error))}\n`)
}

/** The exit code of a command that stopped with this error: 130 for Ctrl-C/SIGTERM (resumable), else 1. */
export function exitCodeOf(error: unknown): number {
  return isDrydockError(error) && error.code === 'DD_INTERRUPTED' ? 130 : 1
}
