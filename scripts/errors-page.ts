/** The text of docs/errors.md, made from the error-code table (scripts/gen-docs.mjs writes it). */
import { fileURLToPath } from 'node:url'
import { ERROR_CODES } from '../pipeline/error-codes.ts'

export const ERRORS_PAGE = fileURLToPath(new URL('../docs/errors.md', import.meta.url))

const cell = (text: string): string => text.replaceAll('|', '\\|')

/** The whole text of docs/errors.md. */
export function errorsPage(): string {
  const rows = Object.entries(ERROR_CODES)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, info]) => `| \`${code}\` | ${info.kind} | ${cell(info.meaning)} | ${cell(info.fix)} |`)
  return [
    '# Errors',
    '',
    '<!-- Generated from pipeline/error-codes.ts by `npm run docs`; edit that file, not this one. -->',
    '',
    'Every error names what failed and where, says what to do (the line after `→`), and carries a',
    'stable code, printed in brackets after the message and recorded in `manifest.json`, `report.json`',
    'and `logs/events.jsonl`. Errors stop the run; warnings are logged and reported and the run goes on.',
    'A run stopped by an error leaves production as it was unless the message says otherwise, and most',
    'are resumable with `--resume RUN` once the cause is fixed (the hint says when a resume would meet',
    'the same refusal).',
    '',
    '| code | kind | meaning | what to do |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}
