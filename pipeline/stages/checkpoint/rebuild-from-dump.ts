/**
 * Staging rebuilt from the run's dump files: the restore of a `dump-files` checkpoint, and of
 * any run that kept no checkpoint (issue 11) — the files stay until --cleanup, so every run
 * that passed hop 1 can go back to its pre-migration staging.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type RunContext, track, withSessions } from '../../run-state/context.ts'
import { describeEndpoint, type Endpoint, withDatabase } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { loadParts, type MoveJob } from '../../transfer/move-parts.ts'
import { withSlots } from '../../safety/faults/slots.ts'
import { tableKey } from '../../run-state/run-dir.ts'

export const schemaFile = (ctx: RunContext, section: string) => join(ctx.paths.schemaDir, `source-${section}.sql`)

/**
 * Why the dump files cannot rebuild staging as hop 1 verified it, or undefined when they can:
 * every carried table has its files and hop 1's checksum, and the applied schema is kept.
 */
export function dumpFilesProblem(ctx: RunContext, options: { needHop1: boolean }): string | undefined {
  const m = ctx.manifest.data
  if (options.needHop1 && m.stages['verify-hop1']?.status !== 'done') return 'hop 1 has not verified staging yet'
  const carried = Object.values(m.tables).filter((t) => t.carried)
  const noDump = carried.filter((t) => !t.dump)
  if (noDump.length > 0) return `tables without a dump file: ${noDump.map(tableKey).join(', ')}`
  if (options.needHop1) {
    const noSum = carried.filter((t) => !t.staging)
    if (noSum.length > 0) return `tables without a hop-1 checksum: ${noSum.map(tableKey).join(', ')}`
  }
  const gone = carried.flatMap((t) => (t.parts ?? []).map((p) => p.file?.file)).filter((f) => !f || !existsSync(join(ctx.paths.dumpDir, f)))
  if (gone.length > 0) return `dump file(s) missing in ${ctx.paths.dumpDir}: ${gone.slice(0, 3).join(', ')}${gone.length > 3 ? ', …' : ''}`
  for (const section of ['pre-data', 'post-data']) {
    if (!existsSync(schemaFile(ctx, section))) return `the applied ${section} schema is missing (${schemaFile(ctx, section)})`
  }
  return undefined
}

/**
 * Staging from the dump files: an empty staging database (the run's ephemeral server, started
 * again or anew), the applied pre-data schema, every file (sha256-checked as it streams),
 * post-data, sequences and statistics — the load stage, without production.
 */
export async function reloadDumpFiles(ctx: RunContext): Promise<Endpoint> {
  const { driver, config, manifest } = ctx
  const source = config.source
  let staging: Endpoint
  if (config.staging === 'ephemeral') {
    if (!ctx.ephemeral) {
      const server = await startRunServer(ctx)
      ctx.ephemeral = server
      await manifest.update((m) => { m.staging.dataDir = server.dataDir })
    }
    staging = withDatabase(ctx.ephemeral.endpoint, source.database)
  } else {
    staging = config.staging
  }
  if (await driver.databaseExists(staging, staging.database)) await driver.dropDatabase(staging, staging.database)
  await driver.createDatabase(staging, staging.database, source)
  ctx.staging = staging
  await manifest.update((m) => { m.staging.endpoint = describeEndpoint(staging) })
  const sourceSession = track(ctx, await driver.connect(source))
  try {
    await driver.prepareStaging(sourceSession, staging)
  } finally {
    await sourceSession.close()
  }
  await driver.runSqlFile(staging, schemaFile(ctx, 'pre-data'), ctx.paths.toolLog).catch((error: unknown) => { throw restoreError('pre-data schema', error) })
  const job = rebuildJob(ctx)
  await withSlots(ctx, staging, Math.max(1, ctx.options.jobs), (slots) => loadParts(ctx, job, slots))
  await driver.runSqlFile(staging, schemaFile(ctx, 'post-data'), ctx.paths.toolLog).catch((error: unknown) => { throw restoreError('post-data schema', error) })
  await withSessions(ctx, staging, 1, async ([session]) => {
    await session!.setSequences(manifest.data.sequences ?? [])
    await session!.analyze(job.tables.map((t) => t.info))
  })
  return staging
}

/**
 * The dump files as a move into the new staging database, through the load stage's engine
 * (hash-checked, retried on a transient error). It moves copies of the part records, none
 * loaded: the manifest keeps what the load stage recorded.
 */
function rebuildJob(ctx: RunContext): MoveJob {
  const tables = Object.values(ctx.manifest.data.tables).filter((t) => t.dump).map((record, i) => ({
    record: { schema: record.schema, name: record.name, parts: (record.parts ?? []).map((part) => ({ ...part, loaded: false })) },
    info: record,
    position: i + 1,
  }))
  return { stage: 'migrate', dir: ctx.paths.dumpDir, tables, resumed: false, fromName: 'the dump files', toName: 'staging' }
}

/** The ephemeral server an earlier attempt left (stopped, or running after a kill -9), else a new one. */
async function startRunServer(ctx: RunContext) {
  const { driver, config } = ctx
  const common = { logFile: ctx.paths.toolLog, superuser: config.source.user }
  const major = (await driver.probe(config.source)).major
  try {
    return await driver.startEphemeral(ctx.paths.stagingDir, { ...common, major, reuse: true })
  } catch (error) {
    if (!(error instanceof DrydockError && error.code === 'DD_RESUME_STAGING_GONE')) throw error
    return driver.startEphemeral(ctx.paths.stagingDir, { ...common, major })
  }
}

function restoreError(what: string, error: unknown): DrydockError {
  return new DrydockError('DD_CHECKPOINT_FAILED', `restoring staging from the dump files: applying the ${what} failed: ${(error as Error).message}`, {
    stage: 'migrate', hint: 'fix the cause, then try again with --resume --from migrate (or --cleanup this run and start a new one)',
  }, { cause: error })
}
