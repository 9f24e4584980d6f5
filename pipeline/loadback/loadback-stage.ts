import { withSessions, type RunContext } from '../context.ts'
import { fileStillGood } from '../dump/file-check.ts'
import { tableToFile, dataFileName } from '../dump/table-to-file.ts'
import { describeEndpoint, withDatabase } from '../endpoint.ts'
import { DrydockError, inStage } from '../errors.ts'
import { fileToTable } from '../load/file-to-table.ts'
import { tableKey } from '../run-dir.ts'
import { copySchemaSection } from '../schema/schema-copy.ts'
import { forEachWithSlot } from '../util/pool.ts'
import { runUnit, withSlots } from '../faults/slots.ts'
import { shadowName } from './shadow-names.ts'

/**
 * Stage 8: the migrated schema and rows from staging into production beside the live data:
 * a shadow database on the source server (in-place upgrades) or the separate target.
 * The live database is only read (for its database-level properties).
 */
export async function loadbackStage(ctx: RunContext): Promise<void> {
  const { driver, config, manifest } = ctx
  const staging = ctx.staging!
  ctx.loadTarget = await prepareTarget(ctx)
  const target = ctx.loadTarget
  await copySchemaSection(ctx, staging, target, 'pre-data', 'migrated')
  const migratedTables = await withSessions(ctx, staging, 1, ([s]) => s!.inventory(config.schemas))
  // Files written by an earlier attempt stay valid: staging only changes in the migrate stage.
  await manifest.update((m) => {
    m.migrated = Object.fromEntries(migratedTables.map((t) => [tableKey(t), { ...m.migrated[tableKey(t)], schema: t.schema, name: t.name }]))
  })
  if (ctx.progress) ctx.progress.totalTables = migratedTables.length
  await withSlots(ctx, staging, ctx.options.jobs, (stagingSlots) =>
    withSlots(ctx, target, ctx.options.jobs, async (targetSlots) => {
      const pairs = stagingSlots.map((s, i) => ({ from: s, to: targetSlots[i]! }))
      await forEachWithSlot(migratedTables, pairs, async (table, { from, to }) => {
        const key = tableKey(table)
        const started = Date.now()
        try {
          const kept = manifest.data.migrated[key]!.file
          const record = ctx.resumed && await fileStillGood(ctx.paths.migratedDir, kept)
            ? kept!
            : await runUnit(ctx, `dump ${key} from staging`, from, { stage: 'loadback', table: key },
              (session) => tableToFile(session, table, ctx.paths.migratedDir, dataFileName(migratedTables.indexOf(table) + 1, table, driver.fileExtension)))
          await manifest.update((m) => { m.migrated[key]!.file = record })
          await runUnit(ctx, `load ${key} into the production copy`, to, { stage: 'loadback', table: key },
            (session) => fileToTable(session, table, ctx.paths.migratedDir, record, ctx.progress))
          ctx.log.write({ kind: 'table-done', stage: 'loadback', table: key, rows: record.rows, bytes: record.bytes, ms: Date.now() - started })
        } catch (error) {
          throw inStage('loadback', error, key)
        }
      }, ctx.signal)
    }))
  await copySchemaSection(ctx, staging, target, 'post-data', 'migrated')
  await withSessions(ctx, staging, 1, ([from]) => withSessions(ctx, target, 1, async ([to]) => {
    await to!.setSequences(await from!.sequences())
    await to!.analyze(migratedTables)
  }))
}

async function prepareTarget(ctx: RunContext) {
  const { driver, config, manifest } = ctx
  if (config.target === 'in-place') {
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
