/**
 * The migration step on ephemeral staging against the same migration in place on production
 * (issue 12 item 4). One engine and scale per call:
 *   node --import tsx bench/migrate-staging.ts --engine mysql|pg --scale 1 [--label before]
 * Production: PostgreSQL is the shared server on 127.0.0.1:5432 (a database of its own);
 * MariaDB is a throwaway server with a binary log (ROW), sync_binlog=1 and
 * innodb_flush_log_at_trx_commit=1 (bench/lib/mariadb-production.ts), as a replicated primary
 * runs. The Patchwork fixture is generated there (fixtures/patchwork/generate.ts); drydock
 * takes it into ephemeral staging (snapshot, dump, load, hop 1) and runs the Patchwork SQL
 * upgrade as its migrate stage; the run is stopped right after that stage, before anything
 * is loaded back. Then the same SQL files run in place on production. Both time the files
 * alone (per file), and sample the server's CPU and the machine's iowait while they run.
 * Writes bench/results/migrate-<engine>-s<scale>[-label].json and prints it.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { patchworkSteps } from '../fixtures/patchwork/upgrades.ts'
import { generatePatchwork } from '../fixtures/patchwork/generate.ts'
import { parseConfig } from '../pipeline/config/config.ts'
import { driverFor } from '../pipeline/drivers/registry.ts'
import { parseEndpoint } from '../pipeline/config/endpoint.ts'
import { expandSqlFiles } from '../pipeline/migration/sql-files.ts'
import { runUpgrade } from '../pipeline/commands/run-command.ts'
import { startProductionMariadb } from './lib/mariadb-production.ts'
import { serverCounters, serverPids, startServerSampler } from './lib/server-sampler.ts'

const { values } = parseArgs({ options: { engine: { type: 'string', default: 'mysql' }, scale: { type: 'string', default: '1' }, label: { type: 'string' } } })
const engine = values.engine === 'pg' || values.engine === 'postgres' ? 'postgres' : 'mysql'
const scale = Number(values.scale)
const work = mkdtempSync(join(tmpdir(), 'dd-bench-mig-'))
const say = (m: string) => process.stderr.write(`[migrate-bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`)
const database = `dd_bench_mig_${process.pid}`
const driver = await driverFor(engine)

const prodMy = engine === 'mysql' ? await startProductionMariadb({ bufferPoolMB: 3072, logFileMB: 1024 }) : undefined
const prodUrl = prodMy ? prodMy.url(database) : `postgres://postgres@127.0.0.1:5432/${database}`
const prod = parseEndpoint(prodUrl, 'source')
const step = patchworkSteps(engine, 'sql')[0]!
const files = expandSqlFiles('sql' in step ? step.sql : '', 'upgrade')

/** Each upgrade file through the driver's runSqlFile (what the migrate stage runs), timed, with the server's CPU sampled. */
async function timeFiles(endpoint: typeof prod, pids: () => number[], log: string) {
  const counters = () => serverCounters(driver, endpoint)
  const before = await counters()
  const loadBefore = loadavg().map((l) => Math.round(l * 100) / 100)
  const sampler = startServerSampler(pids)
  const perFile: Record<string, number> = {}
  const t0 = Date.now()
  for (const file of files) {
    const t = Date.now()
    await driver.runSqlFile(endpoint, file, log)
    perFile[basename(file)] = Date.now() - t
  }
  const ms = Date.now() - t0
  const cpu = sampler.stop()
  const load = loadavg().map((l) => Math.round(l * 100) / 100)
  const after = await counters()
  return { ms, perFile, ...cpu, loadBefore, loadAfter: load, counters: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])) }
}

const result: Record<string, unknown> = { engine, scale, label: values.label ?? null, at: new Date().toISOString() }
try {
  say(`generating scale ${scale} into ${prodUrl.replace(/\/\/[^@]*@/, '//')}`)
  const gen = await generatePatchwork({ engine, url: prodUrl, scale, log: say })
  result.generateMs = gen.ms
  // Staging: drydock's own path up to and including the migrate stage.
  const runDir = join(work, 'runs')
  let staged: Awaited<ReturnType<typeof timeFiles>> | undefined
  let stagingMemory: unknown
  const config = parseConfig({ source: prodUrl, staging: 'ephemeral', runDir, jobs: 2, migrate: [] }, join(work, 'bench.config.mjs'))
  const STOP = new Error('bench: stop after the migration')
  say('drydock: production → ephemeral staging')
  await runUpgrade(config, {
    yes: true, keepStaging: false, jobs: 2,
    afterStage: async (stage, ctx) => {
      if (stage !== 'verify-hop1') return
      const server = ctx.ephemeral!
      stagingMemory = await serverCounters(driver, ctx.staging!, { settings: true })
      say('migrating on staging')
      const pidFile = engine === 'mysql' ? join(dirname(server.dataDir), 'server.pid') : join(server.dataDir, 'postmaster.pid')
      staged = await timeFiles(ctx.staging!, () => serverPids(pidFile), join(work, 'staging-migrate.log'))
      // A failed run keeps its staging for --resume; this one is done with it.
      await server.stop()
      ctx.ephemeral = undefined
      throw STOP
    },
  }).catch((error: unknown) => { if (error !== STOP && !(error instanceof Error && error.message.includes(STOP.message))) throw error })
  result.staging = { ...staged, settings: stagingMemory }
  for (const run of readdirSync(runDir)) {
    const m = JSON.parse(readFileSync(join(runDir, run, 'manifest.json'), 'utf8'))
    result.stagingStages = Object.fromEntries(Object.entries(m.stages).map(([k, v]) => [k, (v as { ms?: number }).ms]))
  }
  say('migrating in place on production')
  const prodPidFile = prodMy ? prodMy.pidFile : '/var/lib/postgresql/15/main/postmaster.pid'
  const prodPids = () => serverPids(prodPidFile, prodMy ? undefined : database)
  const inPlaceSettings = await serverCounters(driver, prod, { settings: true })
  result.inPlace = { ...(await timeFiles(prod, prodPids, join(work, 'inplace-migrate.log'))), settings: inPlaceSettings }
  const s = (result.staging as { ms: number }).ms
  const p = (result.inPlace as { ms: number }).ms
  result.ratio = Math.round((s / p) * 1000) / 1000
  say(`staging ${(s / 1000).toFixed(1)} s, in place ${(p / 1000).toFixed(1)} s: ${result.ratio} ×`)
} finally {
  if (prodMy) await prodMy.stop()
  else await driver.dropDatabase(prod, database).catch(() => {})
  rmSync(work, { recursive: true, force: true })
}
const out = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'results', `migrate-${engine === 'postgres' ? 'pg' : 'mysql'}-s${scale}${values.label ? `-${values.label}` : ''}.json`)
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
