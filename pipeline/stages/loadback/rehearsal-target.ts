import type { ParsedConfig } from '../../config/config.ts'
import type { RunContext, StagingContext } from '../../run-state/context.ts'
import type { Driver } from '../../drivers/driver.ts'
import { describeEndpoint, type Endpoint, withDatabase } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { Manifest, ManifestStore } from '../../run-state/run-dir.ts'
import { shadowName } from './shadow-names.ts'
import type { ThrottleContext } from '../../safety/throttle/throttle.ts'

/** A rehearsal whose copy goes anywhere but production. */
export function rehearsesAside(ctx: Pick<RunContext, 'config' | 'options'>): boolean {
  return ctx.options.rehearse === true && ctx.config.rehearsalTarget !== 'production'
}

/**
 * The copy's endpoint from the manifest; undefined when it is on an ephemeral staging server
 * that is not running (it went, or is kept, with that server's data directory).
 */
export function rehearsalCopyEndpoint(config: ParsedConfig, m: Manifest, ephemeral?: Endpoint): Endpoint | undefined {
  const copy = m.target.rehearsal
  if (!copy) return undefined
  if (copy.kind === 'url') return config.rehearsalTarget as Endpoint
  const server = config.staging === 'ephemeral' ? ephemeral : config.staging
  return server ? withDatabase(server, copy.database) : undefined
}

/** Creates the rehearsal's copy database (starting over one an earlier attempt left) and records it. */
export async function prepareRehearsalCopy(ctx: StagingContext): Promise<Endpoint> {
  const { driver, config, manifest } = ctx
  const choice = config.rehearsalTarget
  const where = choice === 'staging'
    ? withDatabase(ctx.staging, shadowName(config.source.database, manifest.data.runId))
    : choice as Endpoint
  if (await driver.databaseExists(where, where.database)) {
    // Ours when the name carries the run id (staging) or an earlier attempt created it.
    if (choice === 'staging' || manifest.data.target.shadowCreated) await driver.dropDatabase(where, where.database)
    else if (!(await driver.isEmpty(where))) {
      throw new DrydockError('DD_TARGET_NOT_EMPTY', `rehearsal target database ${describeEndpoint(where)} already holds tables`, {
        stage: 'loadback', hint: 'set rehearsalTarget to a database that does not exist yet (drydock creates it), or to "staging"',
      })
    }
  }
  const existed = await driver.databaseExists(where, where.database)
  if (!existed) await driver.createDatabase(where, where.database, config.source)
  await manifest.update((m) => {
    m.target.rehearsal = { kind: choice === 'staging' ? 'staging' : 'url', endpoint: describeEndpoint(where), database: where.database }
    m.target.shadow = where.database
    m.target.shadowCreated = !existed
  })
  ctx.log.write({ kind: 'info', stage: 'loadback', message: `rehearsal: the copy loads into ${describeEndpoint(where)}, not production (rehearsalTarget ${choice === 'staging' ? 'staging' : 'URL'})` })
  return where
}

/**
 * Drops the rehearsal's copy where it is. One on an ephemeral staging server that is not
 * running stays with that server's files (kept for --resume, or removed with them).
 */
export async function dropRehearsalCopy(driver: Driver, config: ParsedConfig, manifest: ManifestStore, ephemeral?: Endpoint): Promise<string | undefined> {
  const where = rehearsalCopyEndpoint(config, manifest.data, ephemeral)
  if (!where || !manifest.data.target.shadowCreated) return undefined
  await driver.dropDatabase(where, where.database)
  await manifest.update((m) => { m.target.shadowCreated = false })
  return describeEndpoint(where)
}

/**
 * The database beside the copy that holds the tables a MySQL upgrade keeps live, for
 * re-pointing the copy's foreign keys at them: the live database on production, the staging
 * database beside a rehearsal's copy on staging; none on another server.
 */
export function keptTablesDatabase(ctx: StagingContext): string | undefined {
  const copy = ctx.manifest.data.target.rehearsal
  if (!copy) return ctx.config.source.database
  return copy.kind === 'staging' ? ctx.staging.database : undefined
}

/**
 * The throttle of a rehearsal's load back: `maxRate` as the real load back would run, but no
 * replica-lag pauses, since nothing reaches production's replicas (and lag measured against
 * another server's WAL position would be meaningless).
 */
export function rehearsalThrottle(ctx: RunContext): ThrottleContext {
  const throttle = ctx.config.throttle
  if (!rehearsesAside(ctx) || throttle?.maxReplicaLag === undefined) return ctx
  ctx.log.write({ kind: 'info', stage: 'loadback', message: 'rehearsal: replica lag is not watched (the copy does not reach production\'s replicas); maxRate still applies' })
  const { maxReplicaLag: _ignored, ...rest } = throttle
  return { config: { ...ctx.config, throttle: { ...rest, replicas: [] } }, driver: ctx.driver, log: ctx.log, signal: ctx.signal, loadTarget: ctx.loadTarget }
}
