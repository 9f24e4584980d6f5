import { withSessions, type RunContext } from '../context.ts'
import type { TableDependencies } from '../drivers/driver.ts'

/** Why a table the migration left alone is copied all the same (report and log). */
export interface KeepDecision {
  readonly kept: readonly string[]
  readonly copiedAnyway: readonly { table: string; reason: string }[]
}

/**
 * Load back only what changed: a table is kept live (not copied into the production copy; the
 * swap leaves it in place) when the migration left its rows (same checksum before and after)
 * and its whole definition (columns, keys, indexes, foreign keys, triggers) unchanged, no view
 * names it, and it references no table that is copied (the swap moves the old one away by
 * name, and the key would follow it). The write fence proves the
 * live table has not changed since the snapshot. Only engines whose swap moves single tables
 * keep tables, and only for in-place upgrades; an afterMigrate hook turns it off (it may have
 * written to staging after the checksums).
 */
export async function decideKept(ctx: RunContext): Promise<KeepDecision> {
  const m = ctx.manifest.data
  const unchanged = (m.carryOver ?? []).filter((c) => c.status === 'unchanged').map((c) => c.table)
  const reason = !ctx.driver.keepsLiveTables ? 'the swap replaces the whole database (PostgreSQL), so every table is in the copy'
    : ctx.config.target !== 'in-place' ? 'the separate target receives every table'
      : ctx.config.hooks.afterMigrate ? 'an afterMigrate hook ran after the checksums and may have changed it'
        : !m.tableDefinitionsBefore ? 'its definition before the migration was not recorded' : undefined
  if (reason) return { kept: [], copiedAnyway: unchanged.map((table) => ({ table, reason })) }
  if (unchanged.length === 0) return { kept: [], copiedAnyway: [] }
  const now = await withSessions(ctx, ctx.staging!, 1, ([s]) => s!.tableDependencies!())
  return chooseKept(unchanged, m.tableDefinitionsBefore!, now)
}

export function chooseKept(unchanged: readonly string[], before: Readonly<Record<string, string>>, now: TableDependencies): KeepDecision {
  const copiedAnyway: { table: string; reason: string }[] = []
  const kept = new Set<string>()
  for (const table of unchanged) {
    if (before[table] === undefined || before[table] !== now.definitions.get(table)) copiedAnyway.push({ table, reason: 'its indexes, keys or triggers changed' })
    else if (now.inViews.has(table)) copiedAnyway.push({ table, reason: 'a view names it' })
    else kept.add(table)
  }
  // A kept table may not reference a copied one: the swap moves the old copy away by name and
  // the key would follow it. Copying it may in turn force its own referencing tables; repeat
  // until nothing changes. (A copied table referencing a kept one is re-pointed before the swap.)
  for (let changed = true; changed;) {
    changed = false
    for (const { from, to } of now.references) {
      if (!kept.has(from) || (to !== null && kept.has(to))) continue
      kept.delete(from)
      copiedAnyway.push({ table: from, reason: `it references ${to ?? 'a table in another database'}, which is copied` })
      changed = true
    }
  }
  return { kept: [...kept].sort(), copiedAnyway }
}
