import { withSessions, type StagingContext } from '../../run-state/context.ts'
import type { KeepBinding, TableDependencies } from '../../drivers/driver.ts'

/** Why a table the migration left alone is copied all the same (report and log). */
export interface KeepDecision {
  readonly kept: readonly string[]
  readonly copiedAnyway: readonly { table: string; reason: string }[]
  /**
   * How the copy goes live, for engines that choose (PostgreSQL): by swapping schemas inside the
   * live database (`schemas`: which), or the whole database, and why.
   */
  readonly path?: { kind: 'schema' | 'database'; reason: string; schemas?: readonly string[] }
}

/**
 * Load back only what changed: a table is kept live (not copied into the production copy; the
 * swap leaves it in place) when the migration left its rows (same checksum before and after)
 * and its whole definition (columns, keys, indexes, foreign keys, triggers) unchanged, no view
 * names it (MySQL, whose views are recreated around the swap), it references no table that is
 * copied (the swap moves the old one away by name, and the key would follow it), and (schema
 * swap) it is bound to no object the swap replaces. The write fence proves the live table has
 * not changed since the snapshot. Only for in-place upgrades; an afterMigrate hook turns it off
 * (it may have written to staging after the checksums).
 *
 * PostgreSQL chooses its swap here: schemas inside the live database when the migration changed
 * nothing that lives in the database itself and some table can stay live, else the whole database.
 */
export async function decideKept(ctx: StagingContext): Promise<KeepDecision> {
  const m = ctx.manifest.data
  const unchanged = (m.carryOver ?? []).filter((c) => c.status === 'unchanged').map((c) => c.table)
  const reason = !ctx.driver.keepsLiveTables ? 'the swap replaces the whole database, so every table is in the copy'
    : ctx.config.target !== 'in-place' ? 'the separate target receives every table'
      : ctx.config.keepLive === false ? 'the config sets keepLive: false'
      : ctx.options.rehearse && ctx.driver.schemaSwap ? 'a rehearsal loads into a shadow database and never swaps'
        : ctx.config.hooks.afterMigrate ? 'an afterMigrate hook ran after the checksums and may have changed it'
          : !m.tableDefinitionsBefore ? 'its definition before the migration was not recorded' : undefined
  const databasePath = (why: string, decision?: KeepDecision): KeepDecision => {
    const listed = new Set(decision?.copiedAnyway.map((c) => c.table))
    const copiedAnyway = [...(decision?.copiedAnyway ?? []), ...unchanged.filter((t) => !listed.has(t)).map((table) => ({ table, reason: `the whole database is swapped: ${why}` }))]
    return { kept: [], copiedAnyway, path: { kind: 'database', reason: why } }
  }
  const schemaSwap = ctx.config.target === 'in-place' ? ctx.driver.schemaSwap : undefined
  if (reason) return schemaSwap ? databasePath(reason) : { kept: [], copiedAnyway: unchanged.map((table) => ({ table, reason })) }
  if (!schemaSwap) {
    if (unchanged.length === 0) return { kept: [], copiedAnyway: [] }
    const now = await withSessions(ctx, ctx.staging, 1, ([s]) => s!.tableDependencies())
    return chooseKept(unchanged, m.tableDefinitionsBefore!, now)
  }
  const check = await schemaSwap.check(ctx.config.source, ctx.staging, ctx.config.schemas)
  if (check.blockers.length > 0) return databasePath(check.blockers.join('; '))
  if (unchanged.length === 0) return databasePath('the migration changed every table, so none can stay live')
  const now = await withSessions(ctx, ctx.staging, 1, ([s]) => s!.tableDependencies(check.schemas))
  const bindings = await schemaSwap.bindings(ctx.staging, check.schemas)
  const decision = chooseKept(unchanged, m.tableDefinitionsBefore!, now, bindings)
  if (decision.kept.length === 0) return databasePath('no table the migration left unchanged can stay live (reasons per table)', decision)
  return {
    ...decision,
    path: { kind: 'schema', schemas: check.schemas, reason: `${decision.kept.length} unchanged table(s) stay live, and the migration changed nothing outside the schemas ${check.schemas.join(', ')} (extensions, database settings and other database-wide objects are as on production)` },
  }
}

/**
 * `bindings` (schema swap): a kept table bound to an object the swap replaces is copied, unless
 * that object belongs to another table that stays live too.
 */
export function chooseKept(
  unchanged: readonly string[], before: Readonly<Record<string, string>>, now: TableDependencies, bindings: readonly KeepBinding[] = [],
): KeepDecision {
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
    for (const { table, reason, unlessKept } of bindings) {
      if (!kept.has(table) || (unlessKept !== null && kept.has(unlessKept))) continue
      kept.delete(table)
      copiedAnyway.push({ table, reason: `${reason} (bound by OID to what the schema swap replaces)` })
      changed = true
    }
  }
  return { kept: [...kept].sort(), copiedAnyway }
}
