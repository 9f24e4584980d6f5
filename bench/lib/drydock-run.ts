/**
 * One drydock rehearsal (every stage, empty migration, shadow loaded, verified and dropped) in a
 * child process, so that its peak RSS is its own. Prints one JSON line on stdout:
 * stage times from report.json, rows and bytes carried, and process.resourceUsage().
 *   node --import tsx bench/lib/drydock-run.ts '{"source":"postgres://…","staging":"…","jobs":2,"runDir":"…"}'
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig } from '../../pipeline/config/config.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { source: string; staging: string; target?: string; jobs: number; runDir: string; partMB?: number; direct?: boolean; touch?: string; compress?: string }
// --touch TABLE: a one-step migration that adds a column to that table.
const migrate = args.touch ? [{ sql: touchFile(args.runDir, args.touch) }] : []
const config = parseConfig({
  source: args.source, staging: args.staging, ...(args.target ? { target: args.target } : {}), jobs: args.jobs, runDir: args.runDir, migrate,
  ...(args.partMB !== undefined ? { partMB: args.partMB } : {}), ...(args.direct !== undefined ? { direct: args.direct } : {}), ...(args.compress ? { compress: args.compress } : {}),
}, join(args.runDir, 'bench.config.mjs'))
// Peak RSS sampled as the run goes, per stage (maxRSS is only the peak over the whole process).
const peaks: Record<string, number> = {}
let stage = 'start'
const sampler = setInterval(() => { peaks[stage] = Math.max(peaks[stage] ?? 0, process.memoryUsage.rss()) }, 100)
const started = Date.now()
const result = await runUpgrade(config, {
  yes: true, keepStaging: false, jobs: args.jobs, rehearse: true,
  afterStage: (name) => { peaks[name] = Math.max(peaks[name] ?? 0, process.memoryUsage.rss()); stage = `after-${name}` },
})
clearInterval(sampler)
const report = result.report
const manifest = JSON.parse(readFileSync(join(result.runDir, 'manifest.json'), 'utf8'))
const events = readFileSync(join(result.runDir, 'logs', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
const usage = process.resourceUsage()
process.stdout.write(`${JSON.stringify({
  verdict: report.verdict,
  runDir: result.runDir,
  wallMs: Date.now() - started,
  stages: Object.fromEntries(report.stages.map((s) => [s.name, s.ms])),
  rows: report.hop1.tables.reduce((sum, t) => sum + (t.rows ?? 0), 0),
  bytes: report.hop1.tables.reduce((sum, t) => sum + (t.bytes ?? 0), 0),
  tables: Object.values(manifest.tables).map((t: any) => ({ table: `${t.schema}.${t.name}`, rows: t.dump?.rows, bytes: t.dump?.bytes })),
  tableEvents: events.filter((e) => e.kind === 'table-done'),
  stageEvents: events.filter((e) => e.kind === 'stage-start' || e.kind === 'stage-done').map((e) => ({ kind: e.kind, stage: e.stage, at: e.at ?? e.time ?? e.ts })),
  checkpointMs: manifest.checkpoint?.ms ?? 0,
  keep: manifest.keep ?? null,
  maxRssKb: usage.maxRSS,
  userCpuMs: Math.round(usage.userCPUTime / 1000),
  systemCpuMs: Math.round(usage.systemCPUTime / 1000),
  rssPeaks: Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v / 1024 / 1024)])),
})}\n`)
process.exit(0)

function touchFile(runDir: string, table: string): string {
  mkdirSync(runDir, { recursive: true })
  const file = join(runDir, 'touch.sql')
  writeFileSync(file, `ALTER TABLE ${table} ADD COLUMN dd_bench_touched INT NULL;\n`)
  return file
}
