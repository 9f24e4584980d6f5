/**
 * How well `--plan` predicts a real run (issue 15's target), on the bench's Patchwork-shaped data:
 *
 *   1. `--plan` of scale 1 and of scale 4 with no rehearsal on record (the read-sample estimate);
 *   2. one rehearsal at scale 1;
 *   3. `--plan` of scale 1 and of scale 4 again, now scaled from that rehearsal;
 *   4. a real run (swap included) at scale 1, then at scale 4, each timed from pre-flight to report.
 *
 * Generated data is read once before anything is timed (readOnce). Each step starts once the server has caught up with the last one's writes, with the page cache
 * dropped (lib/settle.mjs): a DBA plans against a production server that is not digesting a bulk
 * load, and whose data is bigger than its memory.
 *
 * Every step shares one run directory and one config file name, as a DBA's would. The migration
 * adds a column to patchwork_check, so load back copies a table on both engines.
 *
 *   node --import tsx bench/plan-accuracy.ts --engine pg|mysql [--scales 1,4] [--generate-only] [--keep] [--out FILE]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parseConfig, type ParsedConfig } from '../pipeline/config/config.ts'
import { runUpgrade } from '../pipeline/commands/run-command.ts'
import { planUpgrade, type Plan } from '../pipeline/plan/plan.ts'
import { counts as mysqlCounts, dropMysql, generateMysql, myUrl, mysqlCli } from './lib/generate-mysql.mjs'
import { dropPg, generatePg, pgUrl, psql } from './lib/generate-pg.mjs'
import { settle } from './lib/settle.mjs'
import { must, q, runTimed } from './lib/sh.mjs'

const { values: argv } = parseArgs({
  options: {
    engine: { type: 'string', default: 'pg' },
    scales: { type: 'string', default: '1,4' },
    jobs: { type: 'string', default: '2' },
    'generate-only': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
})
const engine = argv.engine === 'mysql' ? 'mysql' : 'pg'
const scales = argv.scales.split(',').map(Number)
const jobs = Number(argv.jobs)
const WORK = join(import.meta.dirname, '.work', `plan-accuracy-${engine}`)
const log = (line: string) => process.stderr.write(`[plan-accuracy ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
const dbName = (scale: number) => `dd_plan_${engine === 'pg' ? 'pg' : 'my'}_s${String(scale).replace('.', '_')}`
const url = (db: string) => (engine === 'pg' ? pgUrl(db) : myUrl(db))

function configFor(scale: number): ParsedConfig {
  const migration = join(WORK, 'add-column.sql')
  writeFileSync(migration, 'ALTER TABLE patchwork_check ADD COLUMN dd_plan_note VARCHAR(40) NULL;\n')
  const db = dbName(scale)
  return parseConfig({ source: url(db), staging: url(`${db}_stg`), jobs, runDir: join(WORK, 'runs'), migrate: [{ sql: migration }] }, join(WORK, 'upgrade.config.mjs'))
}

interface PlanFigures { seconds: number; low: number; high: number; basis: string; stages: Record<string, number | null> }
const figures = (p: Plan): PlanFigures => ({
  seconds: p.totalSeconds, low: p.window.low, high: p.window.high, basis: p.basis,
  stages: Object.fromEntries(p.stages.map((s) => [s.stage, s.seconds === null ? null : Number(s.seconds.toFixed(2))])),
})

const settleWaits: { before: string; waitedSeconds: number; settled: boolean; cold: boolean }[] = []
/** Every timing starts on a server that has caught up with the previous step's writes. */
async function settled(before: string): Promise<void> {
  const s = await settle(engine, log)
  settleWaits.push({ before, waitedSeconds: Math.round(s.waitedMs / 1000), settled: s.settled, cold: s.cold })
}

async function plan(scale: number): Promise<PlanFigures> {
  await settled(`plan of scale ${scale}`)
  const f = figures(await planUpgrade(configFor(scale), jobs))
  log(`plan of scale ${scale}: ${f.seconds.toFixed(0)} s (${f.low.toFixed(0)}–${f.high.toFixed(0)} s) from ${f.basis}`)
  return f
}

async function run(scale: number, rehearse: boolean): Promise<{ seconds: number; load: number[]; stages: Record<string, number> }> {
  await settled(`${rehearse ? 'rehearsal' : 'real run'} at scale ${scale}`)
  const load = [loadavg()[0]!]
  const started = Date.now()
  const result = await runUpgrade(configFor(scale), { yes: true, keepStaging: false, jobs, rehearse, verbosity: 'quiet' })
  const seconds = (Date.now() - started) / 1000
  load.push(loadavg()[0]!)
  if (result.report.verdict !== 'verified') throw new Error(`the ${rehearse ? 'rehearsal' : 'run'} at scale ${scale} ended ${result.report.verdict}`)
  log(`${rehearse ? 'rehearsal' : 'real run'} at scale ${scale}: ${seconds.toFixed(1)} s (load ${load.map((l) => l.toFixed(1)).join(' → ')})`)
  return { seconds, load, stages: Object.fromEntries(result.report.stages.map((st) => [st.name, (st.ms ?? 0) / 1000])) }
}

/** Generates the production copy of `scale` unless one with its row counts is there untouched by a run. */
async function fresh(scale: number): Promise<void> {
  const db = dbName(scale)
  const c = mysqlCounts(scale)
  const probe = `SELECT CONCAT((SELECT COUNT(*) FROM patchwork_submission), ' ', (SELECT COUNT(*) FROM patchwork_check), ' ', (SELECT COUNT(*) FROM information_schema.columns WHERE column_name = 'dd_plan_note'))`
  const found = engine === 'pg'
    ? await runTimed(`${psql(db, '-At')} -c ${q(probe)}`)
    : await runTimed(`${mysqlCli(db, '-N -B')} -e ${q(probe)}`)
  if (found.code === 0 && found.stdout.trim() === `${c.submissions} ${c.checks} 0`) {
    log(`reusing ${db}`)
    return
  }
  log(`generating ${db}`)
  if (engine === 'pg') await generatePg(db, scale, log)
  else await generateMysql(db, scale, log)
  await readOnce(db)
}

/**
 * Reads every row of every table once. The first full read of freshly bulk-loaded data is slower
 * than any later one (MariaDB scale 1: a rehearsal's dump 44 s, the real run's 27.5 s after it;
 * with this pass first the rehearsal took 70.5 s and the run 73.9 s), and a production database
 * has been read before: without it the rehearsal, the first reader, predicted the run 36 % long.
 */
async function readOnce(db: string): Promise<void> {
  const started = Date.now()
  if (engine === 'pg') {
    const tables = (await must(`${psql(db, '-At')} -c ${q("SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables")}`)).stdout.split('\n').filter(Boolean)
    for (const t of tables) await must(`${psql(db, '-At')} -c ${q(`SELECT count(*) FROM ${t}`)}`)
  } else {
    const tables = (await must(`${mysqlCli(db, '-N -B')} -e ${q('SHOW TABLES')}`)).stdout.split('\n').filter(Boolean)
    for (const t of tables) await must(`${mysqlCli(db, '-N -B')} -e ${q(`CHECKSUM TABLE \`${t}\``)}`)
  }
  log(`read ${db} once in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

/** The production copy and whatever a run left beside it (backup, staging). */
async function dropAll(scale: number): Promise<void> {
  const db = dbName(scale)
  const listed = engine === 'pg'
    ? await must(`${psql('postgres', '-At')} -c ${q(`SELECT datname FROM pg_database WHERE datname LIKE '${db}%'`)}`)
    : await must(`${mysqlCli('', '-N -B')} -e ${q(`SHOW DATABASES LIKE '${db}%'`)}`)
  for (const name of listed.stdout.split('\n').filter(Boolean)) await (engine === 'pg' ? dropPg(name) : dropMysql(name))
}

mkdirSync(WORK, { recursive: true })
for (const scale of scales) await fresh(scale)
if (!argv['generate-only']) {
  rmSync(join(WORK, 'runs'), { recursive: true, force: true })
  // One plan at a time, as a DBA runs them: two read samples side by side would halve each other.
  const before: Record<number, PlanFigures> = {}
  for (const s of scales) before[s] = await plan(s)
  const rehearsal = await run(scales[0]!, true)
  const after: Record<number, PlanFigures> = {}
  for (const s of scales) after[s] = await plan(s)
  const actual: Record<number, Awaited<ReturnType<typeof run>>> = {}
  for (const s of scales) actual[s] = await run(s, false)
  const rows = scales.map((s) => ({
    scale: s,
    actualSeconds: actual[s]!.seconds,
    loadDuringRun: actual[s]!.load,
    actualStages: actual[s]!.stages,
    beforeRehearsal: { ...before[s]!, ratio: before[s]!.seconds / actual[s]!.seconds },
    afterRehearsal: { ...after[s]!, ratio: after[s]!.seconds / actual[s]!.seconds, error: after[s]!.seconds / actual[s]!.seconds - 1 },
  }))
  const result = { engine, jobs, at: new Date().toISOString(), rehearsal, rows, settleWaits }
  const out = argv.out ?? join(WORK, 'result.json')
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  for (const r of rows) {
    log(`scale ${r.scale}: real ${r.actualSeconds.toFixed(1)} s; plan before rehearsal ${r.beforeRehearsal.seconds.toFixed(1)} s (×${r.beforeRehearsal.ratio.toFixed(2)}); after ${r.afterRehearsal.seconds.toFixed(1)} s (${(r.afterRehearsal.error * 100).toFixed(1)} %)`)
  }
  log(`written ${out}`)
  if (!argv.keep) for (const s of scales) await dropAll(s)
}
process.exit(0)
