/**
 * Reads the canary's dump files back into rows of column texts, and compares them column by
 * column. The texts are each engine's dump format (PostgreSQL COPY text, MySQL CSV), which is
 * the server's canonical output under drydock's pinned session settings: equal texts mean
 * equal values.
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import type { EngineName } from '../../config/endpoint.ts'
import { engineFacts } from '../../drivers/engines.ts'
import type { EngineFacts } from '../../drivers/engine-facts.ts'
import type { CanaryColumn } from './canary-types.ts'

export type CanaryRows = Map<string, (string | null)[]>

/** PostgreSQL COPY text: `\n` ends a row, `\t` separates fields (both escaped inside), `\N` is NULL. */
function parseCopyText(text: string): (string | null)[][] {
  return text.split('\n').filter((line) => line !== '').map((line) => line.split('\t').map((f) => (f === '\\N' ? null : f)))
}

/** drydock's MySQL CSV: every value quoted, NULL as the bare word NULL (mysql-dump.ts). */
function parseDumpCsv(text: string): (string | null)[][] {
  return parse(text, {
    bom: false,
    relax_quotes: false,
    cast: (value: string, context: { quoting: boolean }) => (!context.quoting && value === 'NULL' ? null : value),
  }) as (string | null)[][]
}

const PARSERS: Record<EngineFacts['dumpFormat'], (text: string) => (string | null)[][]> = { 'copy-text': parseCopyText, csv: parseDumpCsv }

/** Rows keyed by their first column (the id). */
export async function readCanaryFile(engine: EngineName, path: string): Promise<CanaryRows> {
  const text = await readFile(path, 'utf8')
  const rows = PARSERS[engineFacts(engine).dumpFormat](text)
  return new Map(rows.map((r) => [String(r[0]), r]))
}

export interface CanaryDifference {
  readonly row: string
  readonly column: string
  readonly type: string
  readonly before: string | null | undefined
  readonly after: string | null | undefined
}

/** Every cell that differs between two copies (a missing row shows as undefined cells). */
export function compareCanary(columns: readonly CanaryColumn[], before: CanaryRows, after: CanaryRows): CanaryDifference[] {
  const out: CanaryDifference[] = []
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(id)
    const b = after.get(id)
    columns.forEach((c, i) => {
      const x = a?.[i]
      const y = b?.[i]
      if (x !== y) out.push({ row: id, column: c.name, type: c.type, before: x, after: y })
    })
  }
  return out
}

/** A value for an error message: quoted, escaped, bounded. */
export function showValue(value: string | null | undefined): string {
  if (value === undefined) return '(no such row)'
  if (value === null) return 'NULL'
  const json = JSON.stringify(value)
  return json.length > 70 ? `${json.slice(0, 67)}…"` : json
}
