/** What the manifest keeps of the checks: mismatches, expectations, carry-over and write fences. */
import type { TableRef } from '../drivers/driver.ts'
import type { FenceMarks } from '../safety/fence/fence-types.ts'

export interface Mismatch {
  table: string
  detail: string
}

/** One compared object as the report lists it: its state on each side (null: missing there). */
export interface ObjectItem {
  readonly name: string
  readonly before: string | null
  readonly after: string | null
  readonly equal: boolean
}

/** What a hop (or --verify) found comparing objects other than tables' rows: sequences, materialized views. */
export interface ObjectCheck {
  readonly compared: number
  readonly mismatches: readonly Mismatch[]
  /** Every compared object (manifests written before this field have only the mismatches). */
  readonly items?: readonly ObjectItem[]
}

/** The outcome of one expectation (pipeline/safety/expectations/expectations.ts), as recorded in the manifest and shown in the report. */
export interface ExpectationResult {
  name: string
  kind: 'sql' | 'rows' | 'foreign-keys'
  /** What it checks, in words (the SQL, or the count expressions). */
  check: string
  found: string | null
  expected: string | null
  ok: boolean
  /** The values of each term, dangling foreign keys, or the error. */
  detail?: string
  ms: number
}

/**
 * What the migration did to a table: `unchanged` (same column definitions and the same rows as
 * at hop 1: carried over unchanged), `data-changed` (same definitions, other rows: information,
 * data migrations do that), `definition-changed`, `new` or `dropped`.
 */
export interface CarryOverRecord {
  table: string
  status: 'unchanged' | 'data-changed' | 'definition-changed' | 'new' | 'dropped'
  /** Hop 1 staging checksum (before the migration). */
  before?: { rows: number; digest: string }
  /** Staging after the migration (for tables whose definition did not change). */
  after?: { rows: number; digest: string }
}

/** What the run keeps (in the manifest: plain JSON) between takeFence and checkFence (pipeline/safety/fence/fence.ts). */
export interface Fence {
  readonly version: 1
  /** Where it was taken, without password. */
  readonly endpoint: string
  readonly tables: readonly TableRef[]
  readonly schemas?: readonly string[]
  readonly marks: FenceMarks
}
