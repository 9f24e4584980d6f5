/**
 * What a user writes in `transforms/*.ts`, and the runtime check of it. See
 * pipeline/migration/transform/README.md for how values look on each engine.
 *
 * @example
 * import { defineTransform } from 'drydock'
 * export default defineTransform({
 *   source: 'patchwork_person',
 *   target: 'patchwork_person_new',
 *   transform: (row) => ({ ...row, email: row.email!.toString().toLowerCase() }),
 * })
 */
import type { RowValue } from '../../drivers/driver.ts'

export type { RowValue }

/** A row as read from staging: column name → exact value. */
export type Row = Record<string, RowValue>

/** What a transform may return as a column's value: exact values only (no JS number but safe integers, no Date). */
export type OutputValue = RowValue | bigint | number

export type OutputRow = Record<string, OutputValue>

/** A table on staging: `table` or `schema.table` (MySQL: the table name). */
export interface TableSpec {
  table: string
  /** Columns to read or write. Source default: all; target default: every column but generated ones (each row must give them all). */
  columns?: readonly string[]
}

export interface TargetSpec extends TableSpec {
  /**
   * Targets must be empty when the step starts (a transform fills tables an earlier step
   * created), and a retried step empties them again. `append: true` adds to a table that
   * already holds rows; such a step is not safe to retry after a failure.
   */
  append?: boolean
}

export interface SourceSpec extends TableSpec {
  /**
   * A second table read alongside, matched on the source's single-column integer primary key
   * (a left join: `ctx.joined` is the row of `join.table` whose `key` equals the source row's
   * key, or undefined). Both are read in key order, chunk by chunk; `key` must be unique.
   */
  join?: { table: string; key: string; columns?: readonly string[] }
}

export interface LookupSpec {
  /** A small table, loaded once into a Map before any row is transformed. */
  table: string
  /** Its unique column: the Map's key is this column's text (hex for bytes). */
  key: string
  /** Columns to keep (the key is always kept). @defaultValue all */
  columns?: readonly string[]
  /** Refuse to load more rows than this. @defaultValue 100000 (at most 10000000) */
  maxRows?: number
}

export interface TransformContext<L extends string = string, J = Row> {
  /** The source table the row comes from (`schema.table`). */
  readonly source: string
  /** With `source.join`: the joined row, or undefined when none has the row's key. */
  readonly joined: J | undefined
  /** Each configured lookup as a Map from key text to row. */
  readonly lookups: Readonly<Record<L, ReadonlyMap<string, Row>>>
}

/** Zero, one or several rows. */
export type Rows<R> = R | readonly R[] | null | undefined

type Awaitable<T> = T | Promise<T>

interface TransformBase<L extends string> {
  /** @defaultValue the file name */
  name?: string
  /** The table(s) read on staging. Several sources are read one after the other through the same function. */
  source: string | SourceSpec | readonly (string | SourceSpec)[]
  lookups?: Record<L, LookupSpec>
}

/** Every output row goes to the one target table. */
export interface SingleTargetTransform<In = Row, Out = OutputRow, L extends string = string, J = Row> extends TransformBase<L> {
  target: string | TargetSpec
  transform(row: In, ctx: TransformContext<L, J>): Awaitable<Rows<Out>>
}

/** Output rows are routed by name: `{ patches: [...], covers: row }` goes to `target.patches` and `target.covers`. */
export interface MultiTargetTransform<In = Row, Outs extends Record<string, unknown> = Record<string, OutputRow>, L extends string = string, J = Row> extends TransformBase<L> {
  target: { [K in keyof Outs]: string | TargetSpec }
  transform(row: In, ctx: TransformContext<L, J>): Awaitable<{ [K in keyof Outs]?: Rows<Outs[K]> } | null | undefined>
}

export type AnyTransform = SingleTargetTransform<any, any, string, any> | MultiTargetTransform<any, any, string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** Typing helper for transform files: `export default defineTransform({ ... })`. */
export function defineTransform<In = Row, Out = OutputRow, L extends string = string, J = Row>(
  spec: SingleTargetTransform<In, Out, L, J>): SingleTargetTransform<In, Out, L, J>
export function defineTransform<In = Row, Outs extends Record<string, unknown> = Record<string, OutputRow>, L extends string = string, J = Row>(
  spec: MultiTargetTransform<In, Outs, L, J>): MultiTargetTransform<In, Outs, L, J>
export function defineTransform(spec: AnyTransform): AnyTransform {
  return spec
}

export const DEFAULT_LOOKUP_ROWS = 100_000
export const MAX_LOOKUP_ROWS = 10_000_000

/** A transform as the engine runs it, after the checks. */
export interface ResolvedTransform {
  readonly name: string
  readonly file: string
  readonly sources: readonly { table: string; columns?: readonly string[]; join?: { table: string; key: string; columns?: readonly string[] } }[]
  /** Single-target transforms have one target with output name ''. */
  readonly single: boolean
  readonly targets: readonly { output: string; table: string; columns?: readonly string[]; append: boolean }[]
  readonly lookups: readonly { name: string; table: string; key: string; columns?: readonly string[]; maxRows: number }[]
  readonly fn: (row: Row, ctx: TransformContext) => unknown
}

const TRANSFORM_KEYS = ['name', 'source', 'target', 'lookups', 'transform']
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== ''

function columnsProblem(where: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0 || value.some((c) => !nonEmpty(c))) return `${where}.columns: expected a non-empty list of column names, got ${JSON.stringify(value)}`
  return undefined
}

function tableSpec(where: string, value: unknown, allowed: readonly string[], problems: string[]): { table: string; columns?: readonly string[]; append?: boolean } | undefined {
  if (nonEmpty(value)) return { table: value }
  if (!isObject(value) || !nonEmpty(value.table)) {
    problems.push(`${where}: expected a table name or { table: "name"${allowed.includes('join') ? ', columns?, join?' : ', columns?'} }, got ${JSON.stringify(value)}`)
    return undefined
  }
  for (const key of Object.keys(value)) if (!allowed.includes(key)) problems.push(`${where}.${key}: unknown option (expected ${allowed.join(', ')})`)
  const columns = columnsProblem(where, value.columns)
  if (columns) problems.push(columns)
  if (value.append !== undefined && typeof value.append !== 'boolean') problems.push(`${where}.append: expected true or false`)
  return { table: value.table, ...(Array.isArray(value.columns) ? { columns: value.columns as string[] } : {}), ...(value.append === true ? { append: true } : {}) }
}

/**
 * Checks an untrusted module export; every problem is reported at once. Returns the resolved
 * transform or the list of problems.
 */
export function resolveTransform(value: unknown, file: string, fallbackName: string): ResolvedTransform | string[] {
  const problems: string[] = []
  if (!isObject(value)) return [`the transform file must export a transform (export default defineTransform({...})), got ${value === null ? 'null' : typeof value}`]
  for (const key of Object.keys(value)) if (!TRANSFORM_KEYS.includes(key)) problems.push(`Unknown option ${key}: expected one of ${TRANSFORM_KEYS.join(', ')}`)
  if (value.name !== undefined && !nonEmpty(value.name)) problems.push('Invalid option name: expected a non-empty string')
  if (typeof value.transform !== 'function') problems.push(`Missing option transform: expected a function (row, ctx) => rows, got ${typeof value.transform}`)

  const sources: ResolvedTransform['sources'][number][] = []
  const sourceList = Array.isArray(value.source) ? value.source : [value.source]
  if (value.source === undefined) problems.push('Missing option source: expected the table(s) to read on staging')
  else if (sourceList.length === 0) problems.push('Invalid option source: expected at least one table')
  else {
    sourceList.forEach((s: unknown, i: number) => {
      const where = Array.isArray(value.source) ? `source[${i}]` : 'source'
      const spec = tableSpec(where, s, ['table', 'columns', 'join'], problems)
      if (!spec) return
      const join = isObject(s) ? s.join : undefined
      if (join === undefined) { sources.push(spec); return }
      if (!isObject(join) || !nonEmpty(join.table) || !nonEmpty(join.key)) {
        problems.push(`${where}.join: expected { table: "name", key: "column", columns? }, got ${JSON.stringify(join)}`)
        return
      }
      for (const key of Object.keys(join)) if (!['table', 'key', 'columns'].includes(key)) problems.push(`${where}.join.${key}: unknown option (expected table, key, columns)`)
      const columns = columnsProblem(`${where}.join`, join.columns)
      if (columns) problems.push(columns)
      sources.push({ ...spec, join: { table: join.table, key: join.key, ...(Array.isArray(join.columns) ? { columns: join.columns as string[] } : {}) } })
    })
  }

  const targets: ResolvedTransform['targets'][number][] = []
  let single = true
  if (value.target === undefined) problems.push('Missing option target: expected a table name, { table, columns? }, or { output: table, … } for several tables')
  else if (nonEmpty(value.target) || (isObject(value.target) && typeof value.target.table === 'string')) {
    const spec = tableSpec('target', value.target, ['table', 'columns', 'append'], problems)
    if (spec) targets.push({ output: '', ...spec, append: spec.append === true })
  } else if (isObject(value.target) && Object.keys(value.target).length > 0) {
    single = false
    for (const [output, t] of Object.entries(value.target)) {
      const spec = tableSpec(`target.${output}`, t, ['table', 'columns', 'append'], problems)
      if (spec) targets.push({ output, ...spec, append: spec.append === true })
    }
  } else {
    problems.push(`Invalid option target: expected a table name, { table, columns? }, or { output: table, … }, got ${JSON.stringify(value.target)}`)
  }

  const lookups: ResolvedTransform['lookups'][number][] = []
  if (value.lookups !== undefined) {
    if (!isObject(value.lookups)) problems.push(`Invalid option lookups: expected { name: { table, key, columns?, maxRows? } }, got ${JSON.stringify(value.lookups)}`)
    else {
      for (const [name, l] of Object.entries(value.lookups)) {
        if (!isObject(l) || !nonEmpty(l.table) || !nonEmpty(l.key)) {
          problems.push(`Invalid option lookups.${name}: expected { table: "name", key: "column", columns?, maxRows? }, got ${JSON.stringify(l)}`)
          continue
        }
        for (const key of Object.keys(l)) if (!['table', 'key', 'columns', 'maxRows'].includes(key)) problems.push(`lookups.${name}.${key}: unknown option (expected table, key, columns, maxRows)`)
        const columns = columnsProblem(`lookups.${name}`, l.columns)
        if (columns) problems.push(columns)
        const maxRows = l.maxRows ?? DEFAULT_LOOKUP_ROWS
        if (!Number.isSafeInteger(maxRows) || (maxRows as number) < 1 || (maxRows as number) > MAX_LOOKUP_ROWS) {
          problems.push(`Invalid option lookups.${name}.maxRows: expected a whole number from 1 to ${MAX_LOOKUP_ROWS}, got ${JSON.stringify(l.maxRows)}`)
        }
        lookups.push({ name, table: l.table, key: l.key, ...(Array.isArray(l.columns) ? { columns: l.columns as string[] } : {}), maxRows: maxRows as number })
      }
    }
  }
  if (problems.length > 0) return problems
  return Object.freeze({
    name: nonEmpty(value.name) ? value.name : fallbackName,
    file,
    sources,
    single,
    targets,
    lookups,
    fn: value.transform as ResolvedTransform['fn'],
  })
}

/** Type guard for a module export that is a valid transform. */
export function isTransform(value: unknown): value is AnyTransform {
  return !Array.isArray(resolveTransform(value, '', ''))
}
