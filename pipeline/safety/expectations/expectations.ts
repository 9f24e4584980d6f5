/**
 * Expectations: what must hold on staging once the migration is done, before anything is
 * loaded back. Written in the config as `expect: [...]`; checked at the end of the migrate
 * stage (check-expectations.ts).
 *
 * @example
 * expect: [
 *   { name: 'every patch kept', rows: 'patchwork_patch', equals: 'before:patchwork_patch' },
 *   { name: 'comments split', rows: 'patchwork_patchcomment + patchwork_covercomment', equals: 'before:patchwork_comment' },
 *   { name: 'no patch without a project', sql: 'SELECT count(*) FROM patchwork_patch WHERE project_id IS NULL', expect: 0 },
 *   { name: 'same submitters', sql: 'SELECT count(DISTINCT submitter_id) FROM patchwork_patch', equals: 'SELECT count(*) FROM …' },
 *   { name: 'every foreign key resolves', foreignKeys: true },
 * ]
 */
import { DrydockError } from '../../errors.ts'

/** What a user writes in `expect`. */
export type ExpectationSpec =
  | { name: string; sql: string; equals: string }
  | { name: string; sql: string; expect: string | number | bigint | null }
  | { name?: string; rows: string; equals: string | number }
  | { name?: string; foreignKeys: true }

/** A term of a row-count expression: a table's rows now, its rows at hop 1 (`before:`), or a number. */
export type CountTerm =
  | { sign: 1 | -1; kind: 'after'; table: string }
  | { sign: 1 | -1; kind: 'before'; table: string }
  | { sign: 1 | -1; kind: 'number'; value: bigint }

export type Expectation =
  | { readonly kind: 'sql'; readonly name: string; readonly sql: string; readonly equals: { sql: string } | { value: string | null } }
  | { readonly kind: 'rows'; readonly name: string; readonly rows: readonly CountTerm[]; readonly equals: readonly CountTerm[]; readonly text: string }
  | { readonly kind: 'foreign-keys'; readonly name: string }

const TERM = /^\s*(before:)?\s*([^\s+-][^\s+]*?)\s*$/

/**
 * `a + b - before:c + 12`: terms joined by + and -; a table name counts its rows on staging
 * now, `before:table` its rows at hop 1 (production snapshot), an integer is itself.
 */
export function parseCountExpression(text: string, where: string): CountTerm[] {
  const terms: CountTerm[] = []
  const parts = text.split(/\s+([+-])\s+/)
  for (let i = 0; i < parts.length; i += 2) {
    const sign: 1 | -1 = i === 0 || parts[i - 1] === '+' ? 1 : -1
    const part = parts[i]!
    if (/^\s*-?\d+\s*$/.test(part)) { terms.push({ sign, kind: 'number', value: BigInt(part.trim()) }); continue }
    const match = TERM.exec(part)
    if (!match) throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}: cannot read "${part}" in "${text}" (write table, before:table or a number, joined by " + " or " - ")`)
    terms.push({ sign, kind: match[1] ? 'before' : 'after', table: match[2]! })
  }
  return terms
}

const KEYS: Record<Expectation['kind'], string[]> = {
  sql: ['name', 'sql', 'equals', 'expect'],
  rows: ['name', 'rows', 'equals'],
  'foreign-keys': ['name', 'foreignKeys'],
}

/** Validates `expect`; every problem goes to `problems`, one line each. */
export function parseExpectations(value: unknown, problems: string[]): Expectation[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) {
    problems.push(`Invalid option expect: expected a list of expectations ({ name, sql, equals | expect }, { rows, equals }, { foreignKeys: true }), got ${JSON.stringify(value)}`)
    return []
  }
  const out: Expectation[] = []
  const names = new Set<string>()
  value.forEach((raw: unknown, i) => {
    const where = `expect[${i}]`
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`Invalid option ${where}: expected { name, sql, equals | expect }, { rows, equals } or { foreignKeys: true }, got ${JSON.stringify(raw)}`)
      return
    }
    const e = raw as Record<string, unknown>
    const kind: Expectation['kind'] | undefined = 'sql' in e ? 'sql' : 'rows' in e ? 'rows' : 'foreignKeys' in e ? 'foreign-keys' : undefined
    if (!kind) {
      problems.push(`Invalid option ${where}: expected one of sql, rows or foreignKeys, got keys ${Object.keys(e).join(', ') || 'none'}`)
      return
    }
    for (const key of Object.keys(e)) if (!KEYS[kind].includes(key)) problems.push(`Unknown option ${where}.${key}: a ${kind} expectation takes ${KEYS[kind].join(', ')}`)
    if (e.name !== undefined && (typeof e.name !== 'string' || e.name.trim() === '')) problems.push(`Invalid option ${where}.name: expected a non-empty string`)
    try {
      let expectation: Expectation
      if (kind === 'sql') {
        if (typeof e.name !== 'string' || e.name.trim() === '') throw new DrydockError('DD_CONFIG_INVALID', `Missing option ${where}.name: a sql expectation needs a name`)
        if (typeof e.sql !== 'string' || e.sql.trim() === '') throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}.sql: expected a query returning one value`)
        const hasEquals = 'equals' in e
        const hasExpect = 'expect' in e
        if (hasEquals === hasExpect) throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}: give either equals (a second query) or expect (a value)`)
        if (hasEquals && (typeof e.equals !== 'string' || e.equals.trim() === '')) throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}.equals: expected a query returning one value`)
        const literal = e.expect
        if (hasExpect && !(literal === null || typeof literal === 'string' || typeof literal === 'bigint' || (typeof literal === 'number' && Number.isSafeInteger(literal)))) {
          throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}.expect: expected a string, a whole number or null (values are compared as the server prints them), got ${JSON.stringify(literal)}`)
        }
        expectation = {
          kind, name: e.name, sql: e.sql,
          equals: hasEquals ? { sql: e.equals as string } : { value: literal === null ? null : String(literal) },
        }
      } else if (kind === 'rows') {
        if (typeof e.rows !== 'string' || e.rows.trim() === '') throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}.rows: expected a table (or tables joined by +)`)
        if (typeof e.equals !== 'string' && !(typeof e.equals === 'number' && Number.isSafeInteger(e.equals))) {
          throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}.equals: expected a count such as "before:${e.rows}" or a number`)
        }
        const rows = parseCountExpression(e.rows, `${where}.rows`)
        const equals = parseCountExpression(String(e.equals), `${where}.equals`)
        const text = `rows ${e.rows} = ${e.equals}`
        expectation = { kind, name: typeof e.name === 'string' ? e.name : text, rows, equals, text }
      } else {
        if (e.foreignKeys !== true) throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}.foreignKeys: expected true`)
        expectation = { kind, name: typeof e.name === 'string' ? e.name : 'every foreign key resolves' }
      }
      if (names.has(expectation.name)) throw new DrydockError('DD_CONFIG_INVALID', `Invalid option ${where}.name: "${expectation.name}" is used twice`)
      names.add(expectation.name)
      out.push(Object.freeze(expectation))
    } catch (error) {
      if (!(error instanceof DrydockError)) throw error
      problems.push(error.message)
    }
  })
  return out
}

