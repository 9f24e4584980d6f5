import { required } from '../../drivers/capability.ts'
import { withSessions, type ContextFor, type RunContext, type StagingContext } from '../../run-state/context.ts'
import type { Session, SequenceValue, TableChecksum, TableRef } from '../../drivers/driver.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import type { Mismatch, ObjectCheck, ObjectItem } from '../../run-state/check-records.ts'
import { compareChecksums } from '../../transfer/checksum-all.ts'
import { compareSequences } from './sequence-check.ts'
import { engineFacts } from '../../drivers/engines.ts'

// A MySQL TableRef's schema is its database, whose name differs between production, staging and the copy.
const byName = (ctx: RunContext) => engineFacts(ctx.driver.engine).tablesByDatabase

const asMismatches = (check: ObjectCheck): Mismatch[] => check.mismatches.map((m) => ({ table: m.table, detail: m.detail }))

/** Hop 1: staging's sequences against production's at the snapshot (as the load set them). */
export async function sequencesHop1(ctx: StagingContext): Promise<Mismatch[]> {
  const staging = await withSessions(ctx, ctx.staging, 1, ([s]) => s!.sequences())
  const check = compareSequences(ctx.manifest.data.sequences ?? [], staging, ['production', 'staging'], byName(ctx))
  await ctx.manifest.update((m) => { m.sequenceChecks = { ...m.sequenceChecks, hop1: check } })
  return asMismatches(check)
}

/**
 * Hop 2: the production copy's sequences against migrated staging's. The counters of tables
 * kept live (MySQL) stay on the live tables: the copy's are not swapped in.
 */
export async function sequencesHop2(ctx: ContextFor<'staging' | 'target'>): Promise<Mismatch[]> {
  const kept = new Set(Object.values(ctx.manifest.data.migrated).filter((r) => r.kept).map((r) => r.name))
  const [staging, { copy, behind }] = await Promise.all([
    withSessions(ctx, ctx.staging, 1, ([s]) => s!.sequences()),
    withSessions(ctx, ctx.loadTarget, 1, async ([s]) => ({ copy: await s!.sequences(), behind: (await s!.sequencesBehind?.()) ?? [] })),
  ])
  // Carried as the migration left them (same result as in place), but said loudly.
  for (const b of behind) {
    ctx.log.write({ kind: 'warning', stage: 'verify-hop2', message: `sequence ${b.sequence} would hand out ${b.next}, but ${b.column} holds up to ${b.max}; fix: ${b.fix}` })
  }
  const notKept = (list: readonly SequenceValue[]) => list.filter((s) => !(byName(ctx) && kept.has(s.name)))
  // Schema swap: a kept table's own sequences stay in the live schema with it, not in the copy.
  const key = (s: SequenceValue) => `${s.schema}.${s.name}`
  const inCopy = new Set(copy.map(key))
  const onStaging = new Set(staging.map(key))
  const stayLive = ctx.loadTarget.schemaMap
    ? (await withSessions(ctx, ctx.config.source, 1, ([s]) => s!.sequences())).filter((s) => !inCopy.has(key(s)) && onStaging.has(key(s)))
    : []
  const check = compareSequences(notKept(staging), notKept([...copy, ...stayLive]), ['staging', 'the production copy'], byName(ctx))
  await ctx.manifest.update((m) => { m.sequenceChecks = { ...m.sequenceChecks, hop2: check }; m.sequencesBehind = behind })
  return asMismatches(check)
}

/** A view's checksum, or why there is none (an unpopulated view cannot be read). */
async function viewSum(session: Session, view: TableRef, asRefreshed = false): Promise<TableChecksum | string> {
  try {
    return await required(session, 'checksumMaterializedView')(view, asRefreshed)
  } catch (error) {
    return (error as Error).message
  }
}

const sumText = (sum: TableChecksum | string) => (typeof sum === 'string' ? sum : `${sum.rows} rows · ${sum.digest}`)

async function compareViews(
  views: readonly TableRef[], expected: Session, actual: Session, names: [string, string], asRefreshed: boolean,
): Promise<ObjectCheck> {
  const mismatches: Mismatch[] = []
  const items: ObjectItem[] = []
  for (const view of views) {
    const [a, b] = [await viewSum(expected, view, asRefreshed), await viewSum(actual, view)]
    const key = tableKey(view)
    if (typeof a === 'string' || typeof b === 'string') mismatches.push({ table: key, detail: `materialized view: ${typeof a === 'string' ? a : b}` })
    else {
      const mismatch = compareChecksums(key, a, b, names)
      if (mismatch) mismatches.push({ table: key, detail: `materialized view: ${mismatch.detail}` })
    }
    items.push({ name: key, before: sumText(a), after: sumText(b), equal: mismatches.at(-1)?.table !== key })
  }
  return { compared: views.length, mismatches, items }
}

/**
 * Hop 1: the populated materialized views of the snapshot against staging's, which the
 * post-data REFRESH filled. With refreshMaterializedViews, against what their queries return
 * in the snapshot (the operator accepted refreshed contents).
 */
export async function materializedViewsHop1(ctx: ContextFor<'snapshot' | 'staging'>): Promise<Mismatch[]> {
  const holder = ctx.snapshot.holder
  if (!holder.materializedViews) return []
  const views = await holder.materializedViews(ctx.config.schemas)
  const check = await withSessions(ctx, ctx.staging, 1, ([s]) =>
    compareViews(views, holder, s!, ['production', 'staging'], ctx.config.refreshMaterializedViews))
  await ctx.manifest.update((m) => { m.materializedViewChecks = { ...m.materializedViewChecks, hop1: check } })
  return asMismatches(check)
}

/** Hop 2: migrated staging's populated materialized views against the production copy's. */
export async function materializedViewsHop2(ctx: ContextFor<'staging' | 'target'>): Promise<Mismatch[]> {
  const check = await withSessions(ctx, ctx.staging, 1, ([from]) => withSessions(ctx, ctx.loadTarget, 1, async ([to]) => {
    if (!from!.materializedViews) return { compared: 0, mismatches: [] }
    return compareViews(await from!.materializedViews(ctx.config.schemas), from!, to!, ['staging', 'the production copy'], false)
  }))
  await ctx.manifest.update((m) => { m.materializedViewChecks = { ...m.materializedViewChecks, hop2: check } })
  return asMismatches(check)
}
