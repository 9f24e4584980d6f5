import { required } from '../../drivers/capability.ts'
import { withSessions, type RunContext, type StageContext, type StagingContext } from '../../run-state/context.ts'
import type { TableInfo } from '../../drivers/driver.ts'
import { describeEndpoint, type Endpoint, withDatabase } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { dropBadFiles, loadParts, type MoveJob, planAllParts, writeParts } from '../../transfer/move-parts.ts'
import { copySizing, directMode } from '../../transfer/settings.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import { copySchemaSection } from '../schema/schema-copy.ts'
import { withSlots } from '../../safety/faults/slots.ts'
import { startThrottle } from '../../safety/throttle/throttle.ts'
import { planReplication, recordLogPosition, throttled } from '../../replication/replication-plan.ts'
import { loadReplicaCopies, prepareReplicaCopies } from '../../replication/replica-copies.ts'
import { decideKept } from './keep-tables.ts'
import { keptTablesDatabase, prepareRehearsalCopy, rehearsalThrottle, rehearsesAside } from './rehearsal-target.ts'
import { shadowName } from './shadow-names.ts'

/**
 * Stage 8: the migrated schema and rows from staging into production beside the live data:
 * a shadow database on the source server (in-place upgrades) or the separate target.
 * The live database is only read (for its database-level properties).
 */
export async function loadbackStage(ctx: StageContext<'loadback'>): Promise<void> {
  const { config, manifest } = ctx
  const staging = ctx.staging
  // An attempt killed while pg_dump read staging under the shadow names left them so.
  if (manifest.data.target.schemas) await ctx.driver.schemaSwap?.repairStaging(staging, manifest.data.target.schemas)
  // Replicas loaded directly (no row through the binary log) get their own copy beside the primary's.
  // A rehearsal's copy aside reaches no replica of production.
  const replicaCopies = rehearsesAside(ctx) ? [] : await planReplication(ctx, shadowName(config.source.database, manifest.data.runId))
  const migratedTables = await withSessions(ctx, staging, 1, ([s]) => s!.inventory(config.schemas))
  // Files written by an earlier attempt stay valid (staging only changes in the migrate stage,
  // and --from migrate forgets them); the production copy is new, so nothing in it is loaded.
  await manifest.update((m) => {
    m.migrated = Object.fromEntries(migratedTables.map((t) => {
      const earlier = m.migrated[tableKey(t)]
      const parts = earlier?.parts?.map((p) => ({ ...p, loaded: false }))
      return [tableKey(t), { ...earlier, schema: t.schema, name: t.name, bytes: t.bytes, primaryKey: t.primaryKey, ...(parts ? { parts } : {}), loaded: false }]
    }))
  })
  const keep = await decideKept(ctx)
  const kept = new Set(keep.kept)
  await manifest.update((m) => {
    for (const key of kept) m.migrated[key]!.kept = true
    m.keep = { tables: [...keep.kept], bytes: migratedTables.filter((t) => kept.has(tableKey(t))).reduce((sum, t) => sum + t.bytes, 0), copiedAnyway: [...keep.copiedAnyway] }
    if (keep.path) m.swapPath = { kind: keep.path.kind, reason: keep.path.reason }
    else delete m.swapPath
  })
  if (keep.path) ctx.log.write({ kind: 'info', stage: 'loadback', message: `${keep.path.kind === 'schema' ? 'schema swap inside the live database' : 'shadow database, swapped whole'}: ${keep.path.reason}` })
  if (kept.size > 0) ctx.log.write({ kind: 'info', stage: 'loadback', message: `${kept.size} table(s) unchanged by the migration stay live and are not copied: ${keep.kept.join(', ')}` })
  ctx.loadTarget = await prepareTarget(ctx, keep.path?.kind === 'schema' ? keep.path.schemas : undefined)
  const target = ctx.loadTarget
  await prepareReplicaCopies(ctx, replicaCopies)
  await Promise.all([target, ...replicaCopies].map((to, i) => copySchemaSection(ctx, staging, to, 'pre-data', copyLabel(i))))
  // --max-rate and replica lag pauses (pipeline/safety/throttle) hold the rows going into production.
  const throttle = await startThrottle(rehearsesAside(ctx) ? rehearsalThrottle(ctx) : throttled(ctx), { stage: 'loadback' })
  const copied = migratedTables.filter((t) => !kept.has(tableKey(t)))
  const job: MoveJob = {
    stage: 'loadback', dir: ctx.paths.migratedDir, resumed: false, fromName: 'staging', toName: 'the production copy',
    tables: copied.map((info) => ({ record: manifest.data.migrated[tableKey(info)]!, info, position: migratedTables.indexOf(info) + 1 })),
    through: () => throttle.through(),
  }
  try {
    await withSlots(ctx, staging, ctx.options.jobs, (from) =>
      withSlots(ctx, target, ctx.options.jobs, async (to) => {
        await planAllParts(ctx, job, from, copySizing(ctx))
        await dropBadFiles(ctx, job)
        await writeParts(ctx, job, from, directMode(ctx) ? to : undefined)
        await loadParts(ctx, job, to)
      }))
    await loadReplicaCopies(ctx, job, replicaCopies)
    await throttle.whenClear(ctx.signal)
    await recordTimeSaved(ctx)
  } finally {
    await throttle.stop()
    const stats = throttle.stats()
    if (stats.pauses > 0 || stats.limitedMs > 0) await manifest.update((m) => { m.throttle = stats })
  }
  await Promise.all([target, ...replicaCopies].map((to, i) => finishCopy(ctx, to, copyLabel(i), [...kept], migratedTables)))
  await recordLogPosition(ctx, 'loadbackEnd')
}

/** Schema files of the primary's copy are `migrated-*.sql`; of replica N's, `migrated-replicaN-*.sql`. */
function copyLabel(index: number): string {
  return index === 0 ? 'migrated' : `migrated-replica${index}`
}

/** Post-data, keys to kept tables, sequences and statistics of one loaded copy. */
async function finishCopy(ctx: StagingContext, target: Endpoint, label: string, kept: readonly string[], migratedTables: TableInfo[]): Promise<void> {
  const { config, manifest } = ctx
  const staging = ctx.staging
  const keptRefs = kept.map((key) => manifest.data.migrated[key]!)
  await copySchemaSection(ctx, staging, target, 'post-data', label, undefined, target.schemaMap ? { liveReferences: keptRefs } : {})
  // A rehearsal's copy on staging: the kept tables it points at are staging's (keptTablesDatabase).
  const keptDatabase = label === 'migrated' ? keptTablesDatabase(ctx) : config.source.database
  if (kept.length > 0 && ctx.driver.repointReferences && keptDatabase && !target.schemaMap) {
    const keys = await ctx.driver.repointReferences(target, keptDatabase, kept.map((key) => manifest.data.migrated[key]!.name))
    if (keys > 0 && label === 'migrated') ctx.log.write({ kind: 'info', stage: 'loadback', message: `${keys} foreign key(s) of copied tables now reference the kept live tables` })
  }
  if (config.target !== 'in-place' && ctx.driver.copyLiveOnly) {
    const copied = await ctx.driver.copyLiveOnly(config.source, target)
    if (copied > 0) ctx.log.write({ kind: 'info', stage: 'loadback', message: `${copied} event(s) of the source created on the target` })
  }
  await withSessions(ctx, staging, 1, ([from]) => withSessions(ctx, target, 1, async ([to]) => {
    await to!.setSequences(await from!.sequences())
    await to!.analyze(migratedTables)
  }))
  if (kept.length > 0 && target.schemaMap) {
    const attached = await required(ctx.driver, 'schemaSwap').attachKept(target, keptRefs)
    ctx.log.write({ kind: 'info', stage: 'loadback', message: `${attached.keys} foreign key(s) and ${attached.views} view(s) of the copy now reach the kept live tables` })
  }
}

/** `schemas`: the copy goes into shadow schemas of the live database (schema swap) standing in for these. */
async function prepareTarget(ctx: StagingContext, schemas?: readonly string[]) {
  const { driver, config, manifest } = ctx
  if (rehearsesAside(ctx)) return prepareRehearsalCopy(ctx)
  if (config.target === 'in-place' && schemas) {
    const map = Object.fromEntries(schemas.map((s) => [s, shadowName(s, manifest.data.runId)]))
    // Left by an earlier attempt of this same run (the names carry the run id): start over.
    await required(driver, 'schemaSwap').dropSchemas(config.source, Object.values(map))
    const shadow = shadowName(config.source.database, manifest.data.runId)
    if (await driver.databaseExists(config.source, shadow)) await driver.dropDatabase(config.source, shadow)
    await manifest.update((m) => { delete m.target.shadow; m.target.schemas = map; m.target.shadowCreated = true })
    return Object.freeze({ ...config.source, schemaMap: map })
  }
  if (config.target === 'in-place') {
    if (manifest.data.target.schemas) {
      await driver.schemaSwap?.dropSchemas(config.source, Object.values(manifest.data.target.schemas))
      await manifest.update((m) => { delete m.target.schemas })
    }
    const shadow = shadowName(config.source.database, manifest.data.runId)
    if (await driver.databaseExists(config.source, shadow)) {
      // Left by an earlier attempt of this same run (the name carries the run id): start it over.
      await driver.dropDatabase(config.source, shadow)
    }
    await driver.createDatabase(config.source, shadow, config.source)
    await manifest.update((m) => { m.target.shadow = shadow; m.target.shadowCreated = true })
    return withDatabase(config.source, shadow)
  }
  const target = config.target
  if (await driver.databaseExists(target, target.database)) {
    if (manifest.data.target.shadowCreated) {
      // Created and half-loaded by an earlier attempt of this run: start it over.
      await driver.dropDatabase(target, target.database)
    } else if (!(await driver.isEmpty(target))) {
      throw new DrydockError('DD_TARGET_NOT_EMPTY', `target database ${describeEndpoint(target)} already holds tables`, {
        stage: 'loadback', hint: 'name a database that does not exist yet (drydock creates it) or drop this one',
      })
    }
  }
  if (!(await driver.databaseExists(target, target.database))) {
    await driver.createDatabase(target, target.database, config.source)
    await manifest.update((m) => { m.target.shadowCreated = true })
  }
  return target
}

/**
 * What copying the kept tables would have cost, at the speed this run's dump stage moved
 * production into staging (the same work: read, file, load; catalog sizes on both sides).
 * An estimate; the report says so.
 */
async function recordTimeSaved(ctx: RunContext): Promise<void> {
  const m = ctx.manifest.data
  const dumpMs = m.stages.dump?.ms
  const dumpedBytes = Object.values(m.tables).filter((t) => t.carried).reduce((sum, t) => sum + t.bytes, 0)
  if (!m.keep || m.keep.bytes === 0 || !dumpMs || dumpedBytes === 0) return
  await ctx.manifest.update((mf) => { mf.keep!.estimatedMsSaved = Math.round((m.keep!.bytes / dumpedBytes) * dumpMs) })
}
