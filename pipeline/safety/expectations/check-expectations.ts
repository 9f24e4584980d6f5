import { type StagingContext, withSessions } from '../../run-state/context.ts'
import type { Session, TableChecksum, TableInfo } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import { type Manifest, type TableRecord, tableKey } from '../../run-state/run-dir.ts'
import { resolveTable } from '../../migration/transform/tables.ts'
import { checksumAllRetrying } from '../../transfer/checksum-all.ts'
import { withSlots } from '../faults/slots.ts'
import type { CarryOverRecord, ExpectationResult } from '../../run-state/check-records.ts'
import type { CountTerm, Expectation } from './expectations.ts'

/** The hop-1 record of a staging table: the same `schema.table`, else the only one of that name (MySQL labels tables with the database). */
export function hop1Record(m: Manifest, key: string, name: string): TableRecord | undefined {
  const exact = m.tables[key]
  if (exact) return exact
  const byName = Object.values(m.tables).filter((t) => t.name === name)
  return byName.length === 1 ? byName[0] : undefined
}

/**
 * Before the first migration step: the column definitions of every staging table, so that the
 * end of the migration can tell the tables it left alone. Kept when a resumed migration
 * continues after steps that are already done.
 */
export async function captureDefinitions(ctx: StagingContext): Promise<void> {
  const m = ctx.manifest.data
  if (m.definitionsBefore && m.steps.some((s) => s.status === 'done')) return
  const definitions = await withSessions(ctx, ctx.staging, 1, ([s]) => s!.definitions(ctx.config.schemas) ?? Promise.resolve(undefined))
  const whole = await withSessions(ctx, ctx.staging, 1, ([s]) => s!.tableDependencies() ?? Promise.resolve(undefined))
  await ctx.manifest.update((mf) => {
    if (definitions) mf.definitionsBefore = Object.fromEntries(definitions)
    else delete mf.definitionsBefore
    if (whole) mf.tableDefinitionsBefore = Object.fromEntries(whole.definitions)
    else delete mf.tableDefinitionsBefore
  })
}

/**
 * After the last migration step, on staging: which tables were carried over unchanged (same
 * column definitions and the same checksum as at hop 1), then every configured expectation.
 * Both are recorded in the manifest with the values found; a failed expectation stops the run
 * (DD_EXPECTATION_FAILED naming each), before anything is written to production.
 */
export async function checkExpectations(ctx: StagingContext): Promise<void> {
  const results = await withSessions(ctx, ctx.staging, Math.max(1, ctx.options.jobs), async (sessions) => {
    const carryOver = await carriedOver(ctx, sessions)
    await ctx.manifest.update((m) => { if (carryOver) m.carryOver = carryOver })
    const tables = await sessions[0]!.inventory(ctx.config.schemas)
    const list: ExpectationResult[] = []
    for (const expectation of ctx.config.expectations ?? []) {
      ctx.signal?.throwIfAborted()
      list.push(await evaluate(expectation, sessions[0]!, tables, (name) => beforeRows(ctx.manifest.data, name)))
    }
    return list
  })
  await ctx.manifest.update((m) => { m.expectations = results })
  for (const r of results) {
    ctx.log.write({ kind: r.ok ? 'info' : 'warning', stage: 'migrate', message: `expectation "${r.name}": ${r.ok ? 'holds' : 'FAILED'} (found ${r.found ?? 'NULL'}, expected ${r.expected ?? 'NULL'})` })
  }
  const failed = results.filter((r) => !r.ok)
  if (failed.length > 0) {
    throw new DrydockError('DD_EXPECTATION_FAILED', `${failed.length} of ${results.length} expectation(s) do not hold on migrated staging:\n${failed.map((r) => `  ${r.name}: found ${r.found ?? 'NULL'}, expected ${r.expected ?? 'NULL'}${r.detail ? ` (${r.detail})` : ''}`).join('\n')}`, {
      stage: 'migrate', hint: 'production is untouched; fix the migration (or the expectation) and run again',
    })
  }
}

/** Hop-1 rows of a table (production snapshot, verified equal on staging). */
function beforeRows(m: Manifest, name: string): number | undefined {
  const dot = name.lastIndexOf('.')
  const record = hop1Record(m, name, dot >= 0 ? name.slice(dot + 1) : name)
  if (!record) return undefined
  return record.staging?.rows ?? record.source?.rows ?? record.dump?.rows
}

/** Per table, what the migration did; undefined when the engine cannot fingerprint definitions. */
async function carriedOver(ctx: StagingContext, sessions: Session[]): Promise<CarryOverRecord[] | undefined> {
  const m = ctx.manifest.data
  const before = m.definitionsBefore
  const session = sessions[0]!
  if (!before) return undefined
  const after = await session.definitions(ctx.config.schemas)
  // Indexes, keys and triggers too, where the engine can tell: a table whose index changed is not "unchanged".
  const wholeBefore = m.tableDefinitionsBefore
  const wholeAfter = wholeBefore ? (await session.tableDependencies()).definitions : undefined
  const tables = await session.inventory(ctx.config.schemas)
  const records: CarryOverRecord[] = []
  const same: { table: TableInfo; before: TableChecksum }[] = []
  for (const table of tables) {
    const key = tableKey(table)
    const hop1 = hop1Record(m, key, table.name)
    if (before[key] === undefined) { records.push({ table: key, status: 'new' }); continue }
    const wholeChanged = wholeAfter !== undefined && wholeBefore![key] !== wholeAfter.get(key)
    if (before[key] !== after.get(key) || wholeChanged || !hop1?.staging) {
      records.push({ table: key, status: 'definition-changed', ...(hop1?.staging ? { before: hop1.staging } : {}) })
      continue
    }
    same.push({ table, before: hop1.staging })
  }
  for (const key of Object.keys(before)) {
    if (!after.has(key)) {
      const name = key.slice(key.lastIndexOf('.') + 1)
      const hop1 = hop1Record(m, key, name)
      records.push({ table: key, status: 'dropped', ...(hop1?.staging ? { before: hop1.staging } : {}) })
    }
  }
  // In parts side by side, like every checksum of a verify stage.
  const sums: Map<string, TableChecksum> = await withSlots(ctx, ctx.staging, Math.max(1, ctx.options.jobs), (slots) => checksumAllRetrying(ctx, same.map((s) => s.table), slots, 'staging'))
  for (const { table, before: beforeSum } of same) {
    const key = tableKey(table)
    const afterSum = sums.get(key)!
    const equal = beforeSum.rows === afterSum.rows && beforeSum.digest === afterSum.digest
    records.push({ table: key, status: equal ? 'unchanged' : 'data-changed', before: beforeSum, after: afterSum })
  }
  return records.sort((a, b) => a.table.localeCompare(b.table))
}

async function evaluate(
  expectation: Expectation, session: Session, tables: readonly TableInfo[], before: (name: string) => number | undefined,
): Promise<ExpectationResult> {
  const started = Date.now()
  const base = { name: expectation.name, kind: expectation.kind }
  try {
    switch (expectation.kind) {
      case 'sql': {
        const found = await session.queryValue(expectation.sql)
        const expected = 'sql' in expectation.equals ? await session.queryValue(expectation.equals.sql) : expectation.equals.value
        return {
          ...base, check: 'sql' in expectation.equals ? `${expectation.sql} = ${expectation.equals.sql}` : expectation.sql,
          found, expected, ok: found === expected, ms: Date.now() - started,
        }
      }
      case 'rows': {
        const left = await countOf(expectation.rows, session, tables, before)
        const right = await countOf(expectation.equals, session, tables, before)
        return {
          ...base, check: expectation.text, found: String(left.total), expected: String(right.total), ok: left.total === right.total,
          detail: `${left.detail} vs ${right.detail}`, ms: Date.now() - started,
        }
      }
      case 'foreign-keys': {
        const dangling = await session.danglingReferences()
        const bad = dangling.filter((d) => d.rows > 0)
        const total = bad.reduce((sum, d) => sum + d.rows, 0)
        return {
          ...base, check: `every foreign key resolves (${dangling.length} foreign keys)`, found: String(total), expected: '0', ok: total === 0,
          ...(bad.length ? { detail: `rows referencing nothing: ${bad.map((d) => `${d.table} ${d.constraint}: ${d.rows}`).join('; ')}` } : {}),
          ms: Date.now() - started,
        }
      }
    }
  } catch (error) {
    return { ...base, check: expectation.kind === 'rows' ? expectation.text : expectation.kind === 'sql' ? expectation.sql : 'foreign keys', found: null, expected: null, ok: false, detail: `error: ${(error as Error).message}`, ms: Date.now() - started }
  }
}

async function countOf(
  terms: readonly CountTerm[], session: Session, tables: readonly TableInfo[], before: (name: string) => number | undefined,
): Promise<{ total: bigint; detail: string }> {
  let total = 0n
  const parts: string[] = []
  for (const term of terms) {
    let value: bigint
    let label: string
    if (term.kind === 'number') {
      value = term.value
      label = String(term.value)
    } else if (term.kind === 'before') {
      const rows = before(term.table)
      if (rows === undefined) throw new Error(`before:${term.table}: no such table at hop 1`)
      value = BigInt(rows)
      label = `before:${term.table} (${rows})`
    } else {
      const table = resolveTable(tables, term.table, 'expectation', 'DD_EXPECTATION_FAILED')
      const rows = await session.rowCount(table)
      value = BigInt(rows)
      label = `${term.table} (${rows})`
    }
    total += term.sign === 1 ? value : -value
    parts.push(parts.length === 0 ? (term.sign === 1 ? label : `- ${label}`) : `${term.sign === 1 ? '+' : '-'} ${label}`)
  }
  return { total, detail: parts.join(' ') }
}
