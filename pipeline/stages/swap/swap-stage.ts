import { required } from '../../drivers/capability.ts'
import type { RunContext, StageContext } from '../../run-state/context.ts'
import type { Driver, SwapResult, TableRef } from '../../drivers/driver.ts'
import { type Endpoint, withDatabase } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { checkFence } from '../../safety/fence/fence.ts'
import { backupName, rejectedName } from '../loadback/shadow-names.ts'
import { type ManifestStore, tableKey } from '../../run-state/run-dir.ts'
import { pauseForTest } from '../../util/test-pause.ts'
import { dropRehearsalCopy } from '../loadback/rehearsal-target.ts'
import { settleInterruptedSwap } from './settle-swap.ts'
import { checkShadowFence } from './shadow-fence.ts'
import { checkReplicaFences } from '../../replication/replica-fences.ts'
import { recordLogPosition } from '../../replication/replication-plan.ts'
import { confirmReplicasFollowed } from '../../replication/replica-copies.ts'

/** Stage 10: the verified shadow becomes the live database; the old one is kept as a backup. */
export async function swapStage(ctx: StageContext<'swap'>): Promise<void> {
  const { config, manifest } = ctx
  if (manifest.data.swap?.status === 'swapped') {
    // A killed attempt swapped, and settleInterruptedSwap found it on the server.
    ctx.log.write({ kind: 'info', stage: 'swap', message: `already swapped by the previous attempt: ${manifest.data.swap.live} is the upgraded database, the old one is ${manifest.data.swap.backup}` })
    return
  }
  if (ctx.options.rehearse && manifest.data.target.rehearsal) {
    const where = await dropRehearsalCopy(ctx.driver, config, manifest, ctx.ephemeral?.endpoint)
    ctx.log.write({ kind: 'stage-skip', stage: 'swap', reason: `rehearsal: production not swapped, copy ${manifest.data.target.rehearsal.database} dropped${where ? ` on ${where}` : ''}` })
    return
  }
  // Nobody may have written production since the snapshot; a rehearsal runs beside live traffic.
  if (!ctx.options.rehearse && manifest.data.fence) {
    const expected = Object.fromEntries(Object.entries(manifest.data.tables).map(([key, t]) => [key, t.source]))
    // Tables left out by -t/-T travel empty: rows written to them after the snapshot are left out
    // by the operator's choice, so the fence does not have to prove them (they have no checksum).
    const leftOut = new Set(Object.entries(manifest.data.tables).filter(([, t]) => !t.carried).map(([key]) => key))
    const carriedFence = { ...manifest.data.fence, tables: manifest.data.fence.tables.filter((t) => !leftOut.has(tableKey(t))) }
    const fence = await checkFence(ctx.driver, config.source, carriedFence, { expected })
    ctx.log.write({ kind: 'info', stage: 'swap', message: `write fence holds: ${fence.byMarks.length} table(s) unchanged by their marks, ${fence.byChecksum.length} by checksum` })
    await manifest.update((m) => { m.fenceCheck = { at: new Date().toISOString(), production: { byMarks: fence.byMarks.length, byChecksum: fence.byChecksum.length } } })
  }
  // Nor the copy since hop 2 verified it (the beforeSwap hook ran in between).
  const copy = ctx.options.rehearse ? undefined : await checkShadowFence(ctx)
  if (copy) {
    ctx.log.write({ kind: 'info', stage: 'swap', message: `the production copy is as hop 2 verified it: ${copy.byMarks.length} table(s) by their marks, ${copy.byChecksum.length} by checksum` })
    await manifest.update((m) => { m.fenceCheck = { at: new Date().toISOString(), ...m.fenceCheck, copy: { byMarks: copy.byMarks.length, byChecksum: copy.byChecksum.length } } })
  }
  // And each replica's own copy (loaded directly, pipeline/replication).
  if (!ctx.options.rehearse) await checkReplicaFences(ctx)
  if (config.target !== 'in-place') {
    ctx.log.write({ kind: 'stage-skip', stage: 'swap', reason: 'the migrated data went to a separate target: nothing to swap' })
    return
  }
  if (manifest.data.target.schemas) {
    await swapSchemas(ctx)
    await recordLogPosition(ctx, 'swapEnd')
    await confirmReplicasFollowed(ctx)
    return
  }
  const shadow = manifest.data.target.shadow!
  if (ctx.options.rehearse) {
    await ctx.driver.dropDatabase(config.source, shadow)
    await manifest.update((m) => { m.target.shadowCreated = false })
    ctx.log.write({ kind: 'stage-skip', stage: 'swap', reason: `rehearsal: production not swapped, shadow ${shadow} dropped` })
    return
  }
  const live = config.source.database
  const backup = backupName(live, manifest.data.runId)
  await manifest.update((m) => { m.swap = { status: 'swapping', at: new Date().toISOString(), live, backup, shadow } })
  let result: SwapResult | void
  try {
    result = await ctx.driver.swap(config.source, shadow, backup, { keep: keptTables(manifest) })
  } catch (error) {
    // The server, not the error, tells whether production was swapped.
    await settleInterruptedSwap(ctx.driver, config.source, manifest).catch(() => {})
    throw error
  }
  pauseForTest('swap-rename')
  await manifest.update((m) => {
    m.target.backup = backup
    m.swap = { status: 'swapped', at: new Date().toISOString(), live, backup, ...(result?.parked ? { parked: [...result.parked] } : {}) }
  })
  await recordLogPosition(ctx, 'swapEnd')
  await confirmReplicasFollowed(ctx)
}

/**
 * The schema swap (Driver.schemaSwap): the shadow schemas become the live ones inside the live
 * database, kept tables move across untouched; the old schemas stay as `<schema>_dd_backup_<run>`.
 */
async function swapSchemas(ctx: RunContext): Promise<void> {
  const { config, manifest, driver } = ctx
  const live = config.source.database
  const moves = Object.entries(manifest.data.target.schemas!).map(([schema, incoming]) => ({ schema, incoming, outgoing: backupName(schema, manifest.data.runId) }))
  const backup = moves.map((m) => m.outgoing).join(', ')
  const at = new Date().toISOString()
  await manifest.update((m) => { m.swap = { status: 'swapping', at, live, backup, schemas: moves } })
  let result
  try {
    result = await required(driver, 'schemaSwap').swap(config.source, {
      moves, keep: keptRefs(manifest),
      beforeChange: async (parked, files) => {
        await manifest.update((m) => {
          m.swap = { status: 'swapping', at, live, backup, schemas: moves, ...(parked.length ? { parked: [...parked] } : {}) }
          if (m.keep) m.keep.files = Object.fromEntries(Object.entries(files).map(([t, before]) => [t, { before, after: before }]))
        })
      },
    })
  } catch (error) {
    await settleInterruptedSwap(driver, config.source, manifest).catch(() => {})
    throw error
  }
  pauseForTest('swap-rename')
  await manifest.update((m) => {
    m.target.backup = backup
    m.swap = { status: 'swapped', at: new Date().toISOString(), live, backup, schemas: moves, ...(result.parked.length ? { parked: [...result.parked] } : {}) }
    if (m.keep) m.keep.files = { ...result.files }
  })
  const moved = Object.values(result.files).filter((f) => f.before !== f.after)
  ctx.log.write({ kind: 'info', stage: 'swap', message: `schema swap: ${moves.map((m) => `${m.schema} is the upgraded schema, the old one ${m.outgoing}`).join('; ')}; ${Object.keys(result.files).length} kept table(s) stayed live, ${moved.length} changed storage` })
}

function requireSwapped(manifest: ManifestStore, action: string): { live: string; backup: string } {
  const swap = manifest.data.swap
  if (!swap || swap.status !== 'swapped') {
    throw new DrydockError('DD_NOT_SWAPPED', `run ${manifest.data.runId} has no swapped database to ${action} (state: ${swap?.status ?? 'never swapped'})`, {
      stage: action === 'roll back' ? 'rollback' : 'cleanup', hint: 'check the run directory given; `--rollback` and `--cleanup` take the run that swapped',
    })
  }
  return swap
}

/**
 * Swaps back: the upgraded database is kept as `<db>_dd_rejected_<run>`, the backup becomes live.
 * Same atomic rename as the swap.
 */
export async function rollbackRun(driver: Driver, source: Endpoint, manifest: ManifestStore): Promise<string> {
  await settleInterruptedSwap(driver, source, manifest)
  const { live, backup } = requireSwapped(manifest, 'roll back')
  const schemas = manifest.data.swap!.schemas
  if (schemas) {
    // The same schema swap the other way: the backup schemas come back, the upgraded ones are kept as rejected.
    const moves = schemas.map((m) => ({ schema: m.schema, incoming: m.outgoing, outgoing: rejectedName(m.schema, manifest.data.runId) }))
    const result = await required(driver, 'schemaSwap').swap(source, { moves, keep: keptRefs(manifest), restore: manifest.data.swap?.parked ?? [] })
    const rejected = moves.map((m) => m.outgoing).join(', ')
    await manifest.update((m) => {
      m.swap = { status: 'rolled-back', at: new Date().toISOString(), live, backup: rejected, schemas: moves, ...(result.parked.length ? { parked: [...result.parked] } : {}) }
      m.verdict = 'rolled-back'
    })
    return rejected
  }
  const rejected = rejectedName(live, manifest.data.runId)
  await driver.swap(withDatabase(source, live), backup, rejected, { keep: keptTables(manifest), restore: manifest.data.swap?.parked ?? [] })
  await manifest.update((m) => {
    m.swap = { status: 'rolled-back', at: new Date().toISOString(), live, backup: rejected }
    m.verdict = 'rolled-back'
  })
  return rejected
}

/** Drops the backup of the old database once the upgrade is accepted. */
export async function cleanupRun(driver: Driver, source: Endpoint, manifest: ManifestStore): Promise<string> {
  await settleInterruptedSwap(driver, source, manifest)
  // After a rollback, the database to drop is the rejected upgrade (kept under swap.backup).
  const swap = manifest.data.swap?.status === 'rolled-back' ? manifest.data.swap : requireSwapped(manifest, 'clean up')
  const { live, backup } = swap
  const schemas = manifest.data.swap?.schemas
  if (schemas) await required(driver, 'schemaSwap').dropSchemas(source, schemas.map((m) => m.outgoing))
  else await driver.dropDatabase(withDatabase(source, live), backup)
  await manifest.update((m) => { m.swap = { status: 'cleaned-up', at: new Date().toISOString(), live, backup, ...(schemas ? { schemas } : {}) } })
  return backup
}

/** Tables left live by the upgrade, by schema and name (the schema swap moves them across, unchanged). */
function keptRefs(manifest: ManifestStore): TableRef[] {
  return Object.values(manifest.data.migrated).filter((r) => r.kept).map((r) => ({ schema: r.schema, name: r.name }))
}

/** Tables left live by the upgrade: neither swap nor rollback moves them. */
function keptTables(manifest: ManifestStore): string[] {
  return Object.values(manifest.data.migrated).filter((r) => r.kept).map((r) => r.name)
}
