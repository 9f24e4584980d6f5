import { describeEndpoint, withDatabase } from '../../config/endpoint.ts'
import { engineFacts } from '../../drivers/engines.ts'
import type { RunContext, StageContext } from '../../run-state/context.ts'
import { DrydockError } from '../../errors.ts'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { stopLeftoverServer } from '../../run-state/abandon-run.ts'
import { runCanary } from '../../safety/canary/canary.ts'
import { copySchemaSection } from '../schema/schema-copy.ts'
import { stagingHalfMigrated } from '../checkpoint/checkpoint.ts'
import { rehearsesAside } from '../loadback/rehearsal-target.ts'
import { stagesNeeding } from '../../stages.ts'

/**
 * Stage 3: a standalone staging database (a URL, or an ephemeral server started here) with
 * the source's pre-data schema, ready for rows.
 */
export async function stagingStage(ctx: StageContext<'staging'>): Promise<void> {
  const { driver, config, manifest } = ctx
  const source = config.source
  const phase = (what: string) => { if (ctx.progress) ctx.progress.phase = what }
  if (config.staging === 'ephemeral') {
    const info = await driver.probe(source)
    phase(`starting an ephemeral ${engineFacts(driver.engine).product} ${info.major} server in ${ctx.paths.stagingDir}`)
    const ephemeral = await driver.startEphemeral(ctx.paths.stagingDir, {
      major: info.major, logFile: ctx.paths.toolLog, superuser: source.user, dataBytes: productionBytes(ctx),
    })
    ctx.ephemeral = ephemeral
    await driver.createDatabase(ephemeral.endpoint, source.database, source)
    const staging = withDatabase(ephemeral.endpoint, source.database)
    ctx.staging = staging
    await manifest.update((m) => {
      m.staging = { kind: 'ephemeral', endpoint: describeEndpoint(staging), dataDir: ephemeral.dataDir }
    })
  } else {
    const staging = config.staging
    const exists = await driver.databaseExists(staging, staging.database)
    if (exists && !(await driver.isEmpty(staging))) {
      throw new DrydockError('DD_STAGING_NOT_EMPTY', `staging database ${describeEndpoint(staging)} already holds tables`, {
        stage: 'staging', hint: 'name a database that does not exist yet (drydock creates it), drop this one, or use staging: "ephemeral"',
      })
    }
    if (!exists) await driver.createDatabase(staging, staging.database, source)
    ctx.staging = staging
    // Only a database drydock created is dropped at the end.
    await manifest.update((m) => { m.staging = { kind: 'url', endpoint: describeEndpoint(staging), created: !exists } })
  }
  const version = await driver.probe(ctx.staging)
  await manifest.update((m) => { m.staging.version = version.version })
  phase('preparing staging (roles, users)')
  await driver.prepareStaging(ctx.snapshot.holder, ctx.staging)
  phase('canary: nasty values through dump → staging → shadow')
  // Before real data moves: nasty values through the same dump → staging → shadow path; a
  // rehearsal that loads back aside keeps its scratch databases off production (on staging).
  const canaryHome = rehearsesAside(ctx) ? ctx.staging : source
  const canary = await runCanary({ driver, source: canaryHome, staging: ctx.staging, workDir: join(ctx.paths.root, 'canary') })
  await manifest.update((m) => { m.canary = { columns: canary.columns, rows: canary.rows, ms: canary.ms } })
  ctx.log.write({ kind: 'info', stage: 'staging', message: `canary: ${canary.columns} columns × ${canary.rows} rows came back equal in ${canary.ms} ms` })
  await copySchemaSection(ctx, source, ctx.staging, 'pre-data', 'source', ctx.snapshot.id)
}

/** Catalog size of production's tables (snapshot): what ephemeral staging is sized for. */
function productionBytes(ctx: RunContext): number {
  return Object.values(ctx.manifest.data.tables).reduce((sum, t) => sum + t.bytes, 0)
}

/** Resume: the staging this run set up, started again (ephemeral) or found again (URL). */
export async function attachStaging(ctx: RunContext): Promise<void> {
  const { driver, config, manifest } = ctx
  const users = stagesNeeding('staging', { prestaged: manifest.data.prestage !== undefined })
  const needed = users.some((stage) => manifest.data.stages[stage]?.status !== 'done')
  if (!needed) {
    // Past hop 2 staging is done with; a killed attempt may have left its server running.
    if (config.staging === 'ephemeral' && !ctx.options.keepStaging && existsSync(ctx.paths.stagingDir)) {
      await stopLeftoverServer(driver, config, ctx.paths)
      ctx.log.write({ kind: 'info', stage: 'staging', message: `removed the ephemeral staging left by the previous attempt (${ctx.paths.stagingDir})` })
    }
    return
  }
  // --from migrate, or a half-migrated staging: the checkpoint restore brings staging back (migrate stage).
  if (ctx.options.from === 'migrate' || stagingHalfMigrated(manifest.data)) return
  const source = config.source
  if (config.staging === 'ephemeral') {
    const info = await driver.probe(source)
    ctx.ephemeral = await driver.startEphemeral(ctx.paths.stagingDir, {
      major: info.major, logFile: ctx.paths.toolLog, superuser: source.user, reuse: true,
    })
    const staging = withDatabase(ctx.ephemeral.endpoint, source.database)
    ctx.staging = staging
    await manifest.update((m) => { m.staging.endpoint = describeEndpoint(staging) })
    return
  }
  if (!(await driver.databaseExists(config.staging, config.staging.database))) {
    throw new DrydockError('DD_RESUME_STAGING_GONE', `the staging database ${describeEndpoint(config.staging)} of this run is gone`, {
      stage: 'staging', hint: 'the run cannot continue from staging; start a new run',
    })
  }
  ctx.staging = config.staging
}

/**
 * Stops an ephemeral staging server, or drops the staging database drydock created on a
 * staging URL. Both are kept with --keep-staging, and after a failure once staging is set
 * up: that is what --resume continues from (--cleanup discards it).
 */
export async function stopStaging(ctx: RunContext, outcome: 'success' | 'failure'): Promise<void> {
  const { config, manifest } = ctx
  // A prestaged run keeps its staging for the refresh in the window.
  const prestaged = manifest.data.prestage?.status === 'prestaged' && manifest.data.stages.refresh?.status !== 'done'
  const keep = ctx.options.keepStaging || prestaged || (outcome === 'failure' && manifest.data.stages.staging?.status === 'done')
  if (config.staging !== 'ephemeral' && manifest.data.staging.created && !keep) {
    await ctx.driver.dropDatabase(config.staging, config.staging.database)
    await manifest.update((m) => { m.staging.created = false })
  }
  if (!ctx.ephemeral) return
  await ctx.ephemeral.stop({ keep })
  if (keep) ctx.log.write({ kind: 'info', stage: 'staging', message: `staging kept (stopped) in ${ctx.ephemeral.dataDir}` })
  ctx.ephemeral = undefined
}
