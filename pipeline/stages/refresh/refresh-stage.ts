import { required } from '../../drivers/capability.ts'
import { track, type RunContext, type SnapshotContext, type StagingContext } from '../../run-state/context.ts'
import type { PartRange, TableChecksum, TableInfo } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import { snapshotSlots, withSlots, type Slot } from '../../safety/faults/slots.ts'
import { takeFence } from '../../safety/fence/fence.ts'
import { addChecksums } from '../../transfer/add-checksums.ts'
import { describePart } from '../../transfer/plan-parts.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import { closeSnapshot, openSourceSnapshot } from '../snapshot/snapshot-stage.ts'
import { selectCarried } from '../snapshot/select-tables.ts'
import { forEachWithSlot } from '../../util/pool.ts'
import { pauseForTest } from '../../util/test-pause.ts'
import type { RefreshedTable, RefreshPart } from '../../run-state/prestage-records.ts'
import { tableDefinitions } from './record-prestage.ts'
import { copyAgain } from './refresh-copy.ts'
import { checksumParts, type TableParts } from './refresh-parts.ts'
import { createTables } from './refresh-tables.ts'
import { schemaDiff } from './refresh-schema.ts'

interface Differing {
  readonly table: TableInfo
  readonly range?: PartRange
  readonly part: RefreshPart
  readonly production: TableChecksum
  readonly reason: string
}

/**
 * The window's first stage for a prestaged run (production stopped): a new fence and
 * snapshot; production checksummed part by part and compared with the prestaged parts; only
 * the parts that differ copied into staging again (key range: deleted and copied in one
 * transaction; a table without such parts: whole); tables created or dropped on production
 * since followed. Hop 1 holds again against the new snapshot: every part is equal on both
 * sides (unchanged ones by the prestaged checksum, copied ones checksummed again on staging).
 * The write fence starts at this snapshot.
 */
export async function refreshStage(ctx: StagingContext): Promise<void> {
  const { config, manifest, driver } = ctx
  const started = Date.now()
  await manifest.update((m) => {
    // A resumed refresh keeps the window's start and what the killed attempt already copied.
    m.refresh = {
      startedAt: m.refresh?.startedAt ?? new Date(started).toISOString(), tables: m.refresh?.tables ?? [],
      ...(m.refresh?.suspendedTriggers ? { suspendedTriggers: m.refresh.suspendedTriggers } : {}),
    }
  })
  const listing = track(ctx, await driver.connect(config.source))
  const listed = await listing.inventory(config.schemas).finally(() => listing.close())
  const fence = await takeFence(driver, config.source, listed, { ...(config.schemas ? { schemas: config.schemas } : {}) })
  const snapshotted = await openSourceSnapshot(ctx)
  const { snapshot } = snapshotted
  const holder = snapshot.holder
  const now = await holder.inventory(config.schemas)
  const fingerprint = await holder.fingerprint(config.schemas)
  const definitions = await tableDefinitions(snapshotted, now)
  const diff = schemaDiff(manifest.data, now, definitions, fingerprint)
  const sequences = await holder.sequences()
  await manifest.update((m) => { m.fence = fence })
  const carriedNow = selectCarried(now, config.include, config.exclude)
  const done: RefreshedTable[] = []
  await withSlots(ctx, ctx.staging, ctx.options.jobs, async (staging) => {
    for (const key of diff.dropped) {
      const [schema, ...rest] = key.split('.')
      await staging[0]!.session.dropTable({ schema: schema!, name: rest.join('.') })
      await manifest.update((m) => {
        delete m.tables[key]
        delete m.prestage!.parts[key]
      })
      done.push({ table: key, action: 'dropped', reason: 'dropped on production since the prestage', parts: 0, ofParts: 0, rows: 0, ms: 0 })
    }
    done.push(...await refreshChanged(snapshotted, staging))
    // After the prestaged tables: a new table's foreign keys may reference their new rows.
    if (diff.created.length > 0) done.push(...await createTables(snapshotted, diff.created, carriedNow, staging))
    await staging[0]!.session.setSequences(sequences)
    // New tables need statistics; the others had theirs at the load, and a refresh changes little.
    if (diff.created.length > 0) await staging[0]!.session.analyze(diff.created)
  })
  const finished = Date.now()
  await manifest.update((m) => {
    for (const table of Object.values(m.tables)) {
      const parts = m.prestage!.parts[tableKey(table)]
      if (!table.carried || !parts) continue
      // Every part is equal on production (new snapshot) and staging: so are the sums.
      table.source = addChecksums(parts.map((p) => p.sum))
      table.staging = table.source
    }
    m.snapshot = { id: snapshot.id, position: snapshot.position, takenAt: new Date(started).toISOString(), fingerprint }
    m.sequences = sequences
    m.prestage!.status = 'refreshed'
    m.prestage!.definitions = definitions
    const partsChecked = Object.values(m.prestage!.parts).reduce((n, p) => n + p.length, 0)
    m.refresh = {
      ...m.refresh!, finishedAt: new Date(finished).toISOString(), ms: finished - Date.parse(m.refresh!.startedAt),
      snapshot: { id: m.snapshot.id, position: m.snapshot.position, takenAt: m.snapshot.takenAt }, partsChecked,
      tables: [...m.refresh!.tables, ...done],
    }
    m.refresh.partsCopied = m.refresh.tables.reduce((n, t) => n + t.parts, 0)
    m.refresh.rowsCopied = m.refresh.tables.reduce((n, t) => n + t.rows, 0)
  })
  ctx.tables = now
  await closeSnapshot(ctx)
  const r = manifest.data.refresh!
  ctx.log.write({ kind: 'info', stage: 'refresh', message: `refresh: ${r.partsCopied} of ${r.partsChecked} part(s) copied again (${r.rowsCopied} rows), ${diff.created.length} table(s) created, ${diff.dropped.length} dropped` })
}

/** The prestaged tables' parts: checksummed on production, the differing ones copied again. */
async function refreshChanged(ctx: SnapshotContext, staging: readonly Slot[]): Promise<RefreshedTable[]> {
  const { manifest } = ctx
  const infos = new Map(ctx.tables.map((t) => [tableKey(t), t]))
  const planned: (TableParts & { parts: RefreshPart[] })[] = Object.entries(manifest.data.prestage!.parts).map(([key, parts]) => ({
    table: infos.get(key) ?? tableInfoOf(manifest.data.tables[key]!), parts, ranges: parts.map((p) => p.range),
  }))
  const count = planned.reduce((n, t) => n + t.parts.length, 0)
  if (ctx.progress) ctx.progress.totalTables = count
  const checksumStarted = Date.now()
  const production = await checksumParts(ctx, planned, snapshotSlots(ctx), 'production')
  ctx.log.write({ kind: 'info', stage: 'refresh', message: `${count} part(s) checksummed on production in ${Date.now() - checksumStarted} ms` })
  const differing: Differing[] = []
  for (const { table, parts } of planned) {
    parts.forEach((part, i) => {
      const now = production.get(tableKey(table))![i]!
      const reason = part.dirty ? 'being copied again when the previous attempt stopped'
        : now.rows !== part.sum.rows ? `${part.sum.rows} → ${now.rows} rows`
          : now.digest !== part.sum.digest ? `rows changed (${now.rows} rows, checksum differs)` : undefined
      if (reason) differing.push({ table, part, production: now, reason, ...(part.range ? { range: part.range } : {}) })
    })
  }
  if (differing.length === 0) {
    await restoreTriggers(ctx, staging[0]!)
    return []
  }
  // Marked before the copies: a kill after a commit but before its record still copies it again.
  await manifest.update(() => { for (const d of differing) d.part.dirty = true })
  await suspendTriggers(ctx, staging[0]!, differing.map((d) => d.table))
  const byTable = new Map<string, { rows: number; parts: number; ms: number; reasons: string[] }>()
  const mismatches: string[] = []
  const sources = snapshotSlots(ctx)
  const pairs = sources.slice(0, staging.length).map((s, i) => [s, staging[i]!] as const)
  await forEachWithSlot(differing, pairs, async (d, pair) => {
    const startedAt = Date.now()
    const { rows, staging: after } = await copyAgain(ctx, pair, d.table, d.range)
    pauseForTest('refresh-part')
    const key = tableKey(d.table)
    if (after.rows !== d.production.rows || after.digest !== d.production.digest) {
      mismatches.push(`  ${key} (${describePart(d.range)}): ${d.production.rows} rows on production, ${after.rows} on staging after the copy`)
      return
    }
    d.part.sum = d.production
    delete d.part.dirty
    await manifest.save()
    const entry = byTable.get(key) ?? { rows: 0, parts: 0, ms: 0, reasons: [] }
    entry.rows += rows
    entry.parts += 1
    entry.ms += Date.now() - startedAt
    if (entry.reasons.length < 3) entry.reasons.push(d.range ? `${describePart(d.range)}: ${d.reason}` : d.reason)
    byTable.set(key, entry)
  }, ctx.signal)
  await restoreTriggers(ctx, staging[0]!)
  if (mismatches.length > 0) {
    throw new DrydockError('DD_VERIFY_MISMATCH', `refresh: hop 1 (production at the new snapshot → staging): ${mismatches.length} part(s) differ after being copied again:\n${mismatches.join('\n')}`, {
      stage: 'refresh', hint: 'production has not been touched; look at the tables named, then resume',
    })
  }
  return [...byTable].map(([table, e]) => {
    const ofParts = manifest.data.prestage!.parts[table]!.length
    const whole = manifest.data.prestage!.parts[table]!.every((p) => !p.range)
    return {
      table, action: whole ? 'whole' : 'ranges', parts: e.parts, ofParts, rows: e.rows, ms: e.ms,
      reason: whole ? `${wholeWhy(infos.get(table) ?? tableInfoOf(manifest.data.tables[table]!))}; ${e.reasons[0]}` : `${e.parts} of ${ofParts} part(s) differed: ${e.reasons.join('; ')}${e.parts > e.reasons.length ? '; …' : ''}`,
    } satisfies RefreshedTable
  })
}

/** Why a table is one refresh part: copied whole when anything in it changed. */
function wholeWhy(table: TableInfo): string {
  return table.primaryKey.length === 1 ? 'one part (smaller than a refresh part, or a key that is not an integer)' : 'no single integer key to split it by'
}

function tableInfoOf(t: { schema: string; name: string; estimatedRows: number; bytes: number; primaryKey: readonly string[] }): TableInfo {
  return { schema: t.schema, name: t.name, estimatedRows: t.estimatedRows, bytes: t.bytes, primaryKey: t.primaryKey }
}

/**
 * Engines whose sessions cannot turn triggers off (MySQL): the triggers of the tables about to
 * be copied are taken off staging, their definitions kept in the manifest first, so that a
 * resume after a kill puts them back too.
 */
async function suspendTriggers(ctx: RunContext, slot: Slot, tables: readonly TableInfo[]): Promise<void> {
  const session = slot.session
  if (!session.triggersOf) return
  const found = await session.triggersOf(tables)
  const kept = ctx.manifest.data.refresh!.suspendedTriggers ?? []
  const names = new Set(kept.map((t) => JSON.stringify(t)))
  const all = [...kept, ...found.filter((t) => !names.has(JSON.stringify(t)))]
  if (all.length === 0) return
  await ctx.manifest.update((m) => { m.refresh!.suspendedTriggers = all })
  await required(session, 'dropTriggers')(found)
}

async function restoreTriggers(ctx: RunContext, slot: Slot): Promise<void> {
  const suspended = ctx.manifest.data.refresh?.suspendedTriggers
  if (!suspended || suspended.length === 0) return
  await required(slot.session, 'createTriggers')(suspended)
  await ctx.manifest.update((m) => { delete m.refresh!.suspendedTriggers })
}
