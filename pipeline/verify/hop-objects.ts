import { withSessions, type RunContext } from '../context.ts'
import type { SequenceValue } from '../drivers/driver.ts'
import type { Mismatch } from './checksum-all.ts'
import { compareSequences, type ObjectCheck } from './sequence-check.ts'

// A MySQL TableRef's schema is its database, whose name differs between production, staging and the copy.
const byName = (ctx: RunContext) => ctx.driver.engine === 'mysql'

const asMismatches = (check: ObjectCheck): Mismatch[] => check.mismatches.map((m) => ({ table: m.table, detail: m.detail }))

/** Hop 1: staging's sequences against production's at the snapshot (as the load set them). */
export async function sequencesHop1(ctx: RunContext): Promise<Mismatch[]> {
  const staging = await withSessions(ctx, ctx.staging!, 1, ([s]) => s!.sequences())
  const check = compareSequences(ctx.manifest.data.sequences ?? [], staging, ['production', 'staging'], byName(ctx))
  await ctx.manifest.update((m) => { m.sequenceChecks = { ...m.sequenceChecks, hop1: check } })
  return asMismatches(check)
}

/**
 * Hop 2: the production copy's sequences against migrated staging's. The counters of tables
 * kept live (MySQL) stay on the live tables: the copy's are not swapped in.
 */
export async function sequencesHop2(ctx: RunContext): Promise<Mismatch[]> {
  const kept = new Set(Object.values(ctx.manifest.data.migrated).filter((r) => r.kept).map((r) => r.name))
  const [staging, { copy, behind }] = await Promise.all([
    withSessions(ctx, ctx.staging!, 1, ([s]) => s!.sequences()),
    withSessions(ctx, ctx.loadTarget!, 1, async ([s]) => ({ copy: await s!.sequences(), behind: (await s!.sequencesBehind?.()) ?? [] })),
  ])
  // Carried as the migration left them (same result as in place), but said loudly.
  for (const b of behind) {
    ctx.log.write({ kind: 'warning', stage: 'verify-hop2', message: `sequence ${b.sequence} would hand out ${b.next}, but ${b.column} holds up to ${b.max}; fix: ${b.fix}` })
  }
  const notKept = (list: readonly SequenceValue[]) => list.filter((s) => !(byName(ctx) && kept.has(s.name)))
  const check = compareSequences(notKept(staging), notKept(copy), ['staging', 'the production copy'], byName(ctx))
  await ctx.manifest.update((m) => { m.sequenceChecks = { ...m.sequenceChecks, hop2: check }; m.sequencesBehind = behind })
  return asMismatches(check)
}
