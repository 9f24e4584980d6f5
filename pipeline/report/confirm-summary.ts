import type { Manifest } from '../run-state/run-dir.ts'
import { formatSeconds } from '../util/files.ts'

/**
 * What the operator is asked to approve before production is written: what was verified,
 * what the migration changed, and what will be written where.
 */
export function confirmSummary(m: Manifest, where: string): string {
  const tables = Object.values(m.tables)
  const carried = tables.filter((t) => t.carried)
  const verified = carried.filter((t) => t.source && t.staging && t.source.rows === t.staging.rows && t.source.digest === t.staging.digest)
  const rows = carried.reduce((sum, t) => sum + (t.source?.rows ?? 0), 0)
  const steps = m.steps.filter((s) => s.status === 'done')
  const stepMs = steps.reduce((sum, s) => sum + s.ms, 0)
  const expectations = m.expectations ?? []
  const lines = [
    'Staging is migrated and verified:',
    `  hop 1       ${verified.length}/${carried.length} carried tables of the production snapshot equal on staging (${rows.toLocaleString('en')} rows)`
      + (tables.length > carried.length ? `; ${tables.length - carried.length} left out (travel empty)` : ''),
    `  migration   ${steps.length}/${m.steps.length} step(s) done on staging in ${formatSeconds(stepMs)}`
      + (expectations.length ? `; expectations ${expectations.filter((e) => e.ok).length}/${expectations.length} held` : ''),
  ]
  const changes = tableChanges(m)
  if (changes) lines.push(`  tables      ${changes}`)
  lines.push(`About to write the migrated schema and rows ${where}.`)
  return lines.join('\n')
}

/** `2 new (a, b) · 3 changed · 1 dropped (c) · 9 unchanged`, from the migration's carry-over check. */
function tableChanges(m: Manifest): string | undefined {
  const records = m.carryOver
  if (!records) return undefined
  const named = (status: string, word: string, list: boolean) => {
    const of = records.filter((r) => r.status === status).map((r) => r.table)
    if (of.length === 0) return []
    return [`${of.length} ${word}${list ? ` (${of.slice(0, 5).join(', ')}${of.length > 5 ? ', …' : ''})` : ''}`]
  }
  return [
    ...named('new', 'new', true),
    ...named('definition-changed', 'with a changed definition', true),
    ...named('data-changed', 'with changed rows', true),
    ...named('dropped', 'dropped', true),
    ...named('unchanged', 'unchanged (kept live where the swap allows, else copied)', false),
  ].join(' · ')
}
