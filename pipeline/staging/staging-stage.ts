import { describeEndpoint, withDatabase } from '../endpoint.ts'
import type { RunContext } from '../context.ts'
import { DrydockError } from '../errors.ts'
import { copySchemaSection } from '../schema/schema-copy.ts'

/**
 * Stage 3: a standalone staging database (a URL, or an ephemeral server started here) with
 * the source's pre-data schema, ready for rows.
 */
export async function stagingStage(ctx: RunContext): Promise<void> {
  const { driver, config, manifest } = ctx
  const source = config.source
  if (config.staging === 'ephemeral') {
    const info = await driver.probe(source)
    ctx.ephemeral = await driver.startEphemeral(ctx.paths.stagingDir, {
      major: info.major, logFile: ctx.paths.toolLog, superuser: source.user,
    })
    const server = ctx.ephemeral.endpoint
    await driver.createDatabase(server, source.database, source)
    ctx.staging = withDatabase(server, source.database)
    await manifest.update((m) => {
      m.staging = { kind: 'ephemeral', endpoint: describeEndpoint(ctx.staging!), dataDir: ctx.ephemeral!.dataDir }
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
  await driver.prepareStaging(ctx.snapshot!.holder, ctx.staging)
  await copySchemaSection(ctx, source, ctx.staging, 'pre-data', 'source', ctx.snapshot!.id)
}

/**
 * Stops an ephemeral staging server, or drops the staging database drydock created on a
 * staging URL; both are kept with --keep-staging.
 */
export async function stopStaging(ctx: RunContext): Promise<void> {
  const { config, manifest } = ctx
  if (config.staging !== 'ephemeral' && manifest.data.staging.created && !ctx.options.keepStaging) {
    await ctx.driver.dropDatabase(config.staging, config.staging.database)
    await manifest.update((m) => { m.staging.created = false })
  }
  if (!ctx.ephemeral) return
  await ctx.ephemeral.stop({ keep: ctx.options.keepStaging })
  if (ctx.options.keepStaging) {
    ctx.log.write({ kind: 'info', stage: 'staging', message: `staging kept (stopped) in ${ctx.ephemeral.dataDir}` })
  }
  ctx.ephemeral = undefined
}
