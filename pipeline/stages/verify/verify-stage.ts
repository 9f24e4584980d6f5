import type { RunContext, StageContext } from '../../run-state/context.ts'
import { snapshotSlots, withSlots } from '../../safety/faults/slots.ts'
import { DrydockError } from '../../errors.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import type { TableChecksum } from '../../drivers/driver.ts'
import type { Mismatch } from '../../run-state/check-records.ts'
import { checksumAllRetrying, compareChecksums } from '../../transfer/checksum-all.ts'
import { verifyReplicaCopies } from '../../replication/replica-copies.ts'
import { materializedViewsHop1, materializedViewsHop2, sequencesHop1, sequencesHop2 } from './hop-objects.ts'

/**
 * Hop 1: every table in the production snapshot against staging before the migration.
 * Carried tables must match in rows and checksum (and the dump file's row count); tables
 * left out must be empty on staging.
 */
export async function verifySnapshotToStaging(ctx: StageContext<'verify-hop1'>): Promise<void> {
  const tables = ctx.tables
  const carried = tables.filter((t) => ctx.manifest.data.tables[tableKey(t)]!.carried)
  const [source, staging] = await Promise.all([
    checksumAllRetrying(ctx, carried, snapshotSlots(ctx), 'production'),
    withSlots(ctx, ctx.staging, ctx.options.jobs, (slots) => checksumAllRetrying(ctx, tables, slots, 'staging')),
  ])
  const mismatches: Mismatch[] = []
  await ctx.manifest.update((m) => {
    for (const table of tables) {
      const key = tableKey(table)
      const record = m.tables[key]!
      record.staging = staging.get(key)
      if (!record.carried) {
        if (record.staging?.rows !== 0) mismatches.push({ table: key, detail: `left out of the copy but has ${record.staging?.rows} rows on staging` })
        continue
      }
      record.source = source.get(key)
      const mismatch = compareChecksums(key, record.source, record.staging, ['production', 'staging'])
      if (mismatch) mismatches.push(mismatch)
      else if (record.dump && record.dump.rows !== record.source?.rows) {
        mismatches.push({ table: key, detail: `dump file has ${record.dump.rows} rows, production ${record.source?.rows}` })
      }
    }
  })
  mismatches.push(...await sequencesHop1(ctx), ...await materializedViewsHop1(ctx))
  failOn(mismatches, 'verify-hop1', 'hop 1 (production snapshot → staging)', 'production has not been touched; look at the tables named, then rerun')
}

/** Hop 2: every table of migrated staging against its copy in production (shadow or target). */
export async function verifyStagingToTarget(ctx: StageContext<'verify-hop2'>): Promise<void> {
  // Kept tables were not copied: the live table is the one the fence and hop 1 vouch for.
  const records = Object.values(ctx.manifest.data.migrated).filter((r) => !r.kept)
  const known = checksumsAfterMigration(ctx)
  const toSum = records.filter((r) => !known.has(tableKey(r)))
  const [migrated, shadow] = await Promise.all([
    withSlots(ctx, ctx.staging, ctx.options.jobs, async (slots) => new Map([...known, ...await checksumAllRetrying(ctx, toSum, slots, 'staging')])),
    withSlots(ctx, ctx.loadTarget, ctx.options.jobs, (slots) => checksumAllRetrying(ctx, records, slots, 'the production copy')),
  ])
  const mismatches: Mismatch[] = []
  await ctx.manifest.update((m) => {
    for (const record of Object.values(m.migrated).filter((r) => r.kept)) {
      // Reported with staging's checksum after the migration (equal to hop 1's: unchanged).
      const after = known.get(tableKey(record))
      if (after) record.migrated = after
    }
    for (const record of Object.values(m.migrated).filter((r) => !r.kept)) {
      const key = tableKey(record)
      record.migrated = migrated.get(key)
      record.shadow = shadow.get(key)
      const mismatch = compareChecksums(key, record.migrated, record.shadow, ['staging', 'the production copy'])
      if (mismatch) mismatches.push(mismatch)
    }
  })
  mismatches.push(...await sequencesHop2(ctx), ...await materializedViewsHop2(ctx))
  failOn(mismatches, 'verify-hop2', 'hop 2 (migrated staging → production copy)', 'the live database has not been swapped; look at the tables named, then rerun')
  // The copies loaded directly into replicas, against the same checksums.
  await verifyReplicaCopies(ctx)
}

function failOn(mismatches: Mismatch[], stage: 'verify-hop1' | 'verify-hop2', hop: string, hint: string): void {
  if (mismatches.length === 0) return
  const list = mismatches.map((m) => `  ${m.table}: ${m.detail}`).join('\n')
  throw new DrydockError('DD_VERIFY_MISMATCH', `${hop}: ${mismatches.length} table(s) differ:\n${list}`, {
    stage, table: mismatches.map((m) => m.table).join(', '), hint,
  })
}

/**
 * Staging's checksums taken right after the migration (tables whose definition it left alone,
 * pipeline/safety/expectations): staging is only read from then on, so hop 2 need not scan them again.
 * Not when an afterMigrate hook ran, since it may have written to staging.
 */
function checksumsAfterMigration(ctx: RunContext): Map<string, TableChecksum> {
  if (ctx.config.hooks.afterMigrate) return new Map()
  // (Kept tables exist only where no afterMigrate hook ran: pipeline/stages/loadback/keep-tables.ts.)
  return new Map((ctx.manifest.data.carryOver ?? []).flatMap((c) => (c.after ? [[c.table, c.after] as const] : [])))
}
