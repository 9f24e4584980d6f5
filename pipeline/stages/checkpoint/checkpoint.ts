/**
 * Staging checkpoints: staging as it was right after the verified load (hop 1), kept so that a
 * failed migration can start over from there without reading production again.
 *
 * | staging                        | checkpoint                                   | restore                          |
 * |--------------------------------|----------------------------------------------|----------------------------------|
 * | URL, PostgreSQL                | `CREATE DATABASE <db>_dd_ckpt_<run> TEMPLATE <db>` | drop staging, copy it back  |
 * | ephemeral, PostgreSQL          | a copy of the stopped data directory in `<run>/checkpoint/pgdata` | swap it in, start   |
 * | MySQL (URL or ephemeral)       | the dump files themselves (sha256-checked)   | recreate staging, reload them    |
 *
 * A run without a checkpoint restores like a dump-files one (pipeline/stages/checkpoint/rebuild-from-dump.ts).
 * A restore also resets the migration's record in the manifest (steps, expectations), so the
 * migrate stage runs every step again. Dump-file restores are checked against hop 1's staging
 * checksums; copies are byte copies and are checked only when asked.
 */
import { existsSync } from 'node:fs'
import { required } from '../../drivers/capability.ts'
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { RunContext } from '../../run-state/context.ts'
import { describeEndpoint, type Endpoint, withDatabase } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { type Manifest, tableKey } from '../../run-state/run-dir.ts'
import type { CheckpointKind, CheckpointRecord } from '../../run-state/stage-records.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import { dumpFilesProblem, reloadDumpFiles } from './rebuild-from-dump.ts'
import { existingServerFolder } from '../../util/server-folder.ts'
import { checksumAllRetrying, compareChecksums } from '../../transfer/checksum-all.ts'
import { createHash } from 'node:crypto'
import { withSlots } from '../../safety/faults/slots.ts'

/** Which checkpoint a run's staging gets. */
export function checkpointKind(ctx: Pick<RunContext, 'driver' | 'config'>): CheckpointKind {
  return ctx.driver.checkpointKind(ctx.config.staging === 'ephemeral' ? 'ephemeral' : 'url')
}

/** `<staging db>_dd_ckpt_<run>`, shortened with a hash past 63 bytes. */
export function checkpointDatabaseName(database: string, runId: string): string {
  const suffix = `dd_ckpt_${runId.replace('-', '')}`
  const name = `${database}_${suffix}`
  if (Buffer.byteLength(name) <= 63) return name
  const hash = createHash('sha256').update(database).digest('hex').slice(0, 8)
  let head = database
  while (Buffer.byteLength(`${head}_${hash}_${suffix}`) > 63) head = head.slice(0, -1)
  return `${head}_${hash}_${suffix}`
}

const checkpointDir = (ctx: RunContext) => join(ctx.paths.root, 'checkpoint')

/**
 * Keeps staging as it is now (call it after hop 1 verified, before the first migration step).
 * For an ephemeral PostgreSQL server this stops it for the copy and starts it again on a new
 * port: ctx.staging changes. No session may be open on staging meanwhile.
 */
export async function saveCheckpoint(ctx: RunContext): Promise<CheckpointRecord> {
  const started = Date.now()
  const kind = checkpointKind(ctx)
  const staging = ctx.staging
  if (!staging) throw new DrydockError('DD_CHECKPOINT_FAILED', 'no staging to keep a checkpoint of', { stage: 'staging' })
  let location: string
  let bytes: number | undefined
  if (kind === 'database-copy') {
    location = checkpointDatabaseName(staging.database, ctx.manifest.data.runId)
    if (await ctx.driver.databaseExists(staging, location)) await ctx.driver.dropDatabase(staging, location)
    await required(ctx.driver, 'cloneDatabase')(staging, staging.database, location)
  } else if (kind === 'data-directory') {
    const server = ctx.ephemeral
    if (!server) throw new DrydockError('DD_CHECKPOINT_FAILED', 'the ephemeral staging server is not running', { stage: 'staging' })
    location = join(checkpointDir(ctx), 'pgdata')
    await rm(checkpointDir(ctx), { recursive: true, force: true })
    await mkdir(checkpointDir(ctx), { recursive: true, mode: 0o700 })
    await server.stop({ keep: true })
    ctx.ephemeral = undefined
    try {
      await copyTree(server.dataDir, location, ctx.paths.toolLog)
    } finally {
      await restartEphemeral(ctx, dirname(server.dataDir))
    }
    bytes = await treeSize(location)
  } else {
    const problem = dumpFilesProblem(ctx, { needHop1: false })
    if (problem) throw new DrydockError('DD_CHECKPOINT_FAILED', problem, { stage: 'staging' })
    location = ctx.paths.dumpDir
  }
  const record: CheckpointRecord = { kind, location, savedAt: new Date().toISOString(), ms: Date.now() - started, ...(bytes !== undefined ? { bytes } : {}) }
  await ctx.manifest.update((m) => { m.checkpoint = record })
  ctx.log.write({ kind: 'info', stage: 'staging', message: `checkpoint (${kind}) saved at ${location} in ${record.ms} ms` })
  return record
}

/**
 * Brings staging back to the checkpoint and clears the migration's record, so the migrate stage
 * runs every step again. Works in the process that saved it or in a later one (resume): an
 * ephemeral server is started as needed, and ctx.staging / ctx.ephemeral are set (staging is returned). A run that
 * kept no checkpoint is rebuilt from its dump files and checked against hop 1.
 */
export async function restoreCheckpoint(ctx: RunContext, options: { verify?: boolean } = {}): Promise<Endpoint> {
  const started = Date.now()
  const record = ctx.manifest.data.checkpoint
  const problem = record ? undefined : dumpFilesProblem(ctx, { needHop1: true })
  if (problem) {
    throw new DrydockError('DD_CHECKPOINT_MISSING', `this run kept no staging checkpoint, and its dump files cannot rebuild staging as hop 1 verified it (${problem})`, {
      stage: 'migrate', hint: '--cleanup this run and start a new one (--checkpoint keeps a checkpoint from the start)',
    })
  }
  // Until the restore ends, staging is neither hop 1's nor the migration's: a resume restores again.
  await ctx.manifest.update((m) => { m.restoringStaging = new Date().toISOString() })
  const kind = record?.kind ?? 'dump-files'
  const { driver, config } = ctx
  let staging: Endpoint
  if (record?.kind === 'database-copy') {
    if (config.staging === 'ephemeral') throw new DrydockError('DD_CHECKPOINT_FAILED', 'a database copy needs a staging URL', { stage: 'migrate' })
    staging = config.staging
    if (!(await driver.databaseExists(staging, record.location))) throw gone(`database ${record.location}`)
    await driver.dropDatabase(staging, staging.database)
    await required(driver, 'cloneDatabase')(staging, record.location, staging.database)
    ctx.staging = staging
  } else if (record?.kind === 'data-directory') {
    if (!existsSync(join(record.location, 'PG_VERSION'))) throw gone(`data directory copy ${record.location}`)
    let base: string
    if (ctx.ephemeral) {
      base = dirname(ctx.ephemeral.dataDir)
      await ctx.ephemeral.stop({ keep: true })
      ctx.ephemeral = undefined
    } else {
      base = await serverFolderForRestore(ctx, record)
    }
    await rm(join(base, 'pgdata'), { recursive: true, force: true })
    await copyTree(record.location, join(base, 'pgdata'), ctx.paths.toolLog)
    staging = await restartEphemeral(ctx, base)
  } else {
    staging = await reloadDumpFiles(ctx)
  }
  const verify = options.verify ?? kind === 'dump-files'
  if (verify) await verifyAgainstHop1(ctx, staging)
  await ctx.manifest.update((m) => {
    resetMigration(m)
    delete m.restoringStaging
    if (m.checkpoint) m.checkpoint.restores = [...(m.checkpoint.restores ?? []), { at: new Date().toISOString(), ms: Date.now() - started, verified: verify }]
  })
  const from = record ? `the ${kind} checkpoint` : 'the dump files (no checkpoint kept)'
  ctx.log.write({ kind: 'info', stage: 'migrate', message: `staging restored from ${from} in ${Date.now() - started} ms${verify ? ', verified against hop 1' : ''}` })
  return staging
}

/**
 * Whether staging may be half-migrated with nothing in the manifest saying how far: a step
 * started and never ended (the run was killed), or a restore did not finish.
 */
export function stagingHalfMigrated(m: Manifest): string | undefined {
  if (m.restoringStaging) return 'a restore of staging did not finish'
  const step = m.steps.find((s) => s.status === 'running')
  return step ? `step ${step.index} (${step.name}) was under way when the run stopped` : undefined
}

/** Drops the checkpoint's copy (a database or a folder); dump files stay (they are the run's backup). */
export async function discardCheckpoint(ctx: RunContext): Promise<void> {
  const record = ctx.manifest.data.checkpoint
  if (!record) return
  if (record.kind === 'database-copy' && ctx.config.staging !== 'ephemeral') await ctx.driver.dropDatabase(ctx.config.staging, record.location)
  if (record.kind === 'data-directory') await rm(checkpointDir(ctx), { recursive: true, force: true })
  await ctx.manifest.update((m) => { delete m.checkpoint })
}

/** What the migrate stage recorded: a restored staging starts the migration over. */
export function resetMigration(m: Manifest): void {
  m.steps = []
  delete m.definitionsBefore
  delete m.expectations
  delete m.carryOver
  delete m.stages.migrate
}

function gone(what: string): DrydockError {
  return new DrydockError('DD_CHECKPOINT_MISSING', `the staging checkpoint is gone (${what})`, {
    stage: 'migrate', hint: '--cleanup this run and start a new one',
  })
}

async function copyTree(from: string, to: string, logFile: string): Promise<void> {
  // -a keeps owners and modes (the server user's files stay its own when drydock runs as root).
  const args = process.platform === 'linux' ? ['-a', '--reflink=auto', from, to] : ['-a', from, to]
  const result = await execProgram('cp', args, { logFile })
  if (result.code !== 0) {
    throw new DrydockError('DD_CHECKPOINT_FAILED', `copying ${from} to ${to} failed:\n${lastLines(result.tail)}`, { stage: 'staging', hint: 'check the free disk space of the run directory' })
  }
}

async function treeSize(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? await treeSize(path) : (await stat(path)).size
  }
  return total
}

async function serverMajor(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'PG_VERSION'), 'utf8')).trim())
}

/** Starts the ephemeral server on the data directory in `base` again (a new port) and points ctx at it. */
async function restartEphemeral(ctx: RunContext, base: string): Promise<Endpoint> {
  const source = ctx.config.source
  const major = await serverMajor(join(base, 'pgdata'))
  // The run's staging folder: the server folder itself, or a LOCATION file naming it.
  const server = await ctx.driver.startEphemeral(ctx.paths.stagingDir, {
    major, logFile: ctx.paths.toolLog, superuser: source.user, reuse: true,
  })
  const staging = withDatabase(server.endpoint, source.database)
  ctx.ephemeral = server
  ctx.staging = staging
  await ctx.manifest.update((m) => { m.staging.endpoint = describeEndpoint(staging); m.staging.dataDir = server.dataDir })
  return staging
}

/** The ephemeral server folder of this run (left by an earlier attempt, or set up now), its server stopped. */
async function serverFolderForRestore(ctx: RunContext, record: CheckpointRecord): Promise<string> {
  const options = { major: await serverMajor(record.location), logFile: ctx.paths.toolLog, superuser: ctx.config.source.user }
  try {
    // Starting it stops a server that a killed drydock left running on that data directory.
    const left = await ctx.driver.startEphemeral(ctx.paths.stagingDir, { ...options, reuse: true })
    await left.stop({ keep: true })
    return dirname(left.dataDir)
  } catch {
    // Not startable (a restore stopped half-way through its copy): the folder as it is.
  }
  try {
    return existingServerFolder(ctx.paths.stagingDir, join('pgdata', 'PG_VERSION'))
  } catch {
    // Gone: set up a fresh server folder the usual way (permissions for the server user), then stop it.
    const server = await ctx.driver.startEphemeral(ctx.paths.stagingDir, options)
    await server.stop({ keep: true })
    return dirname(server.dataDir)
  }
}

/** Every table's count and checksum on staging must equal hop 1's staging values. */
async function verifyAgainstHop1(ctx: RunContext, staging: Endpoint): Promise<void> {
  const records = Object.values(ctx.manifest.data.tables).filter((t) => t.staging)
  const sums = await withSlots(ctx, staging, Math.max(1, ctx.options.jobs), (slots) => checksumAllRetrying(ctx, records, slots, 'restored staging'))
  const mismatches = records.flatMap((r) => {
    const m = compareChecksums(tableKey(r), r.staging, sums.get(tableKey(r)), ['the checkpoint (hop 1)', 'restored staging'])
    return m ? [m] : []
  })
  if (mismatches.length > 0) {
    throw new DrydockError('DD_CHECKPOINT_MISMATCH', `restored staging differs from hop 1 in ${mismatches.length} table(s):\n${mismatches.map((m) => `  ${m.table}: ${m.detail}`).join('\n')}`, {
      stage: 'migrate', table: mismatches.map((m) => m.table).join(', '), hint: 'the dump files or the checkpoint no longer hold what hop 1 verified: --cleanup this run and start a new one',
    })
  }
}
