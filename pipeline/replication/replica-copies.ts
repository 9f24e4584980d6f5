import { required } from '../drivers/capability.ts'
/**
 * The copies loaded directly into replicas (replication-plan.ts): created once the replica has
 * applied everything the primary logged, filled from the load back's files side by side,
 * verified against migrated staging with the same checksums as hop 2, fenced until the swap.
 */
import type { RunContext } from '../run-state/context.ts'
import { describeEndpoint, type Endpoint } from '../config/endpoint.ts'
import { DrydockError } from '../errors.ts'
import { loadParts, type MoveJob } from '../transfer/move-parts.ts'
import { withSlots } from '../safety/faults/slots.ts'
import { takeFence } from '../safety/fence/fence.ts'
import { tableKey } from '../run-state/run-dir.ts'
import type { Mismatch } from '../run-state/check-records.ts'
import { checksumAllRetrying, compareChecksums } from '../transfer/checksum-all.ts'
import { directCopies } from './replication-plan.ts'

/** Longest wait for a replica to apply what the primary logged before its copy is made (seconds). */
const CATCH_UP_SECONDS = 600

/**
 * Creates each replica's copy (without the binary log) once the replica has applied the primary's
 * log so far: a logged drop of an earlier attempt's shadow cannot arrive after the new one.
 */
export async function prepareReplicaCopies(ctx: RunContext, copies: readonly Endpoint[]): Promise<void> {
  const { driver, config } = ctx
  await Promise.all(copies.map(async (copy) => {
    await required(driver, 'directReplicas').catchUp(config.source, copy, CATCH_UP_SECONDS)
    await required(driver, 'directReplicas').skipLog(copy, copy.database)
    await driver.dropDatabase(copy, copy.database)
    await driver.createDatabase(copy, copy.database, config.source)
  }))
}

/** Loads every replica's copy from the files the primary's load wrote, all replicas at once. */
export async function loadReplicaCopies(ctx: RunContext, job: MoveJob, copies: readonly Endpoint[]): Promise<void> {
  await Promise.all(copies.map((copy) => {
    const { through: _primaryThrottle, ...rest } = job
    const own: MoveJob = {
      ...rest,
      resumed: false,
      toName: `the copy on replica ${describeEndpoint(copy)}`,
      // The replica's own progress per part: the manifest's records are the primary's.
      tables: job.tables.map((t) => ({ ...t, record: { schema: t.record.schema, name: t.record.name, parts: (t.record.parts ?? [{}]).map((p) => ({ ...p, loaded: false })), loaded: false } })),
    }
    return withSlots(ctx, copy, ctx.options.jobs, (to) => loadParts(ctx, own, to))
  }))
}

/**
 * Hop 2 for each replica's copy: its write marks first (checked before the swap), then every
 * copied table against migrated staging's checksums (hop 2 took them). DD_VERIFY_MISMATCH
 * naming the replica and tables when one differs.
 */
export async function verifyReplicaCopies(ctx: RunContext): Promise<void> {
  const copies = directCopies(ctx)
  if (copies.length === 0) return
  const records = Object.values(ctx.manifest.data.migrated).filter((r) => !r.kept)
  const tables = records.map((r) => ({ schema: r.schema, name: r.name }))
  await Promise.all(copies.map(async ({ endpoint, record }) => {
    const fence = await takeFence(ctx.driver, endpoint, tables, ctx.config.schemas ? { schemas: ctx.config.schemas } : {})
    const name = `the copy on replica ${record.replica}`
    const sums = await withSlots(ctx, endpoint, ctx.options.jobs, (slots) => checksumAllRetrying(ctx, records, slots, name))
    const mismatches = records.flatMap((r) => compareChecksums(tableKey(r), r.migrated, sums.get(tableKey(r)), ['staging', name]) ?? [])
    await ctx.manifest.update(() => { record.fence = fence; record.verified = mismatches.length === 0 })
    if (mismatches.length > 0) throw mismatchError(record.replica, mismatches)
  }))
  ctx.log.write({ kind: 'info', stage: 'verify-hop2', message: `the copies on ${copies.length} replica(s) equal migrated staging: ${copies.map((c) => c.record.replica).join(', ')}` })
}

function mismatchError(replica: string, mismatches: Mismatch[]): DrydockError {
  return new DrydockError('DD_VERIFY_MISMATCH', `hop 2 (migrated staging → copy on replica ${replica}): ${mismatches.length} table(s) differ:\n${mismatches.map((m) => `  ${m.table}: ${m.detail}`).join('\n')}`, {
    stage: 'verify-hop2', table: mismatches.map((m) => m.table).join(', '), hint: 'the live database has not been swapped; look at the tables named on that replica, then rerun',
  })
}

/**
 * After the swap: each replica applied it (it waits for the replica to reach the primary's log
 * position) and replicates on. A replica that did not is a warning: production is swapped.
 */
export async function confirmReplicasFollowed(ctx: RunContext): Promise<void> {
  const copies = directCopies(ctx)
  for (const { endpoint, record } of copies) {
    let problem: string | undefined
    try {
      await required(ctx.driver, 'directReplicas').catchUp(ctx.config.source, endpoint, CATCH_UP_SECONDS)
    } catch (error) {
      problem = (error as Error).message
    }
    await ctx.manifest.update(() => { record.followedSwap = problem === undefined })
    if (problem) ctx.log.write({ kind: 'warning', stage: 'swap', message: `replica ${record.replica} has not applied the swap: ${problem}` })
  }
}
