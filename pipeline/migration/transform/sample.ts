import { resolve } from 'node:path'
import type { Writable } from 'node:stream'
import type { ParsedConfig } from '../../config/config.ts'
import type { Session, TableInfo } from '../../drivers/driver.ts'
import { driverFor } from '../../drivers/registry.ts'
import { describeEndpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import type { ResolvedTransform, Row } from './define-transform.ts'
import { loadTransform } from './load-transform.ts'
import { loadLookups } from './lookups.ts'
import { resolveTable } from './tables.ts'

export const MAX_SAMPLE = 100_000

export interface SampleResult {
  /** Per input row: the row, its joined row, and what the function returned per target table. */
  rows: { source: string; before: Row; joined?: Row; after: { table: string; row: Record<string, unknown> }[]; error?: string }[]
}

/**
 * Tries a transform on the first `n` rows of each of its sources, read from the config's
 * source database (production, or a copy): only catalog queries and reads, nothing is written.
 * Prints every row before and after (long values shortened) and returns them.
 */
export async function sampleTransform(config: ParsedConfig, file: string, n: number, out: Writable = process.stdout): Promise<SampleResult> {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SAMPLE) throw new DrydockError('DD_CONFIG_INVALID', `--sample: expected a whole number from 1 to ${MAX_SAMPLE}, got ${n}`)
  const spec = await loadTransform(resolve(config.baseDir, file))
  const driver = await driverFor(config.source.engine)
  const session = await driver.connect(config.source)
  const result: SampleResult = { rows: [] }
  try {
    const tables = await session.inventory(config.schemas)
    const what = `transform ${spec.name} (sample on ${describeEndpoint(config.source)})`
    const lookups = await loadLookups(session, tables, spec)
    const targets = new Map<string, string>()
    for (const t of spec.targets) {
      const found = tables.find((x) => tableKey(x) === t.table || x.name === t.table)
      targets.set(t.output, found ? tableKey(found) : `${t.table} (created by the migration)`)
    }
    out.write(`transform ${spec.name} (${spec.file}) on the first ${n} row(s) of ${spec.sources.map((s) => s.table).join(', ')}, read from ${describeEndpoint(config.source)} (nothing is written)\n`)
    for (const s of spec.sources) {
      const table = resolveTable(tables, s.table, what)
      const key = await integerKey(session, table)
      const reader = await session.readRows(table, { ...(s.columns ? { columns: s.columns } : {}), ...(key ? { orderBy: key } : {}), limit: n })
      const rows: Row[] = []
      for await (const row of reader.stream as AsyncIterable<Row>) rows.push(row)
      const joinedByKey = new Map<string, Row>()
      if (s.join && key && rows.length > 0) {
        const joinTable = resolveTable(tables, s.join.table, what)
        const keys = rows.map((r) => BigInt(r[key] as string))
        const from = keys.reduce((a, b) => (b < a ? b : a))
        const to = keys.reduce((a, b) => (b > a ? b : a)) + 1n
        const joinReader = await session.readRows(joinTable, {
          ...(s.join.columns ? { columns: s.join.columns.includes(s.join.key) ? s.join.columns : [s.join.key, ...s.join.columns] } : {}),
          range: { key: s.join.key, from: String(from), to: String(to) }, orderBy: s.join.key,
        })
        for await (const row of joinReader.stream as AsyncIterable<Row>) joinedByKey.set(String(row[s.join.key]), row)
      }
      for (const row of rows) {
        const joined = key ? joinedByKey.get(String(row[key])) : undefined
        const entry: SampleResult['rows'][number] = { source: tableKey(table), before: row, ...(joined ? { joined } : {}), after: [] }
        try {
          let output = spec.fn(row, { source: tableKey(table), joined, lookups: lookups.maps })
          if (output !== null && typeof output === 'object' && typeof (output as Promise<unknown>).then === 'function') output = await output
          entry.after = routed(spec, output, targets)
        } catch (error) {
          entry.error = error instanceof Error ? error.message : String(error)
        }
        result.rows.push(entry)
        out.write(`\n── ${tableKey(table)} ${key ? `${key}=${String(row[key])}` : `row ${result.rows.length}`}\n`)
        out.write(`   before: ${showRow(row)}\n`)
        if (s.join) out.write(`   joined: ${joined ? showRow(joined) : 'none'}\n`)
        if (entry.error) out.write(`   ERROR:  ${entry.error}\n`)
        else if (entry.after.length === 0) out.write('   after:  (no rows)\n')
        for (const a of entry.after) out.write(`   after → ${a.table}: ${showRow(a.row)}\n`)
      }
    }
    return result
  } finally {
    await session.close()
  }
}

async function integerKey(session: Session, table: TableInfo): Promise<string | undefined> {
  if (table.primaryKey.length !== 1) return undefined
  try {
    await session.keyBounds(table, table.primaryKey[0]!)
    return table.primaryKey[0]
  } catch {
    return undefined
  }
}

function routed(spec: ResolvedTransform, output: unknown, targets: Map<string, string>): { table: string; row: Record<string, unknown> }[] {
  if (output === null || output === undefined) return []
  const list = (value: unknown) => (Array.isArray(value) ? value : [value]).filter((v) => v !== null && v !== undefined) as Record<string, unknown>[]
  if (spec.single) return list(output).map((row) => ({ table: targets.get('')!, row }))
  return Object.entries(output as Record<string, unknown>).flatMap(([name, rows]) =>
    list(rows).map((row) => ({ table: targets.get(name) ?? `${name} (not a target!)`, row })))
}

/** A value as it would be written, shortened: strings quoted, bytes as hex, NULL. */
export function showValue(value: unknown): string {
  if (value === null) return 'NULL'
  if (value === undefined) return 'undefined'
  if (typeof value === 'string') {
    const text = JSON.stringify(value.length > 80 ? value.slice(0, 80) : value)
    return value.length > 80 ? `${text.slice(0, -1)}…" (${value.length} chars)` : text
  }
  if (Buffer.isBuffer(value)) return `<${value.length} bytes ${value.subarray(0, 16).toString('hex')}${value.length > 16 ? '…' : ''}>`
  if (typeof value === 'bigint') return `${value}n`
  return `${String(value)} (${typeof value})`
}

function showRow(row: Record<string, unknown>): string {
  return `{ ${Object.entries(row).map(([k, v]) => `${k}: ${showValue(v)}`).join(', ')} }`
}
