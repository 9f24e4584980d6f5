/**
 * The fault campaign: whole runs of the CLI on a small app database, each hit by one fault at a
 * point drawn from a fixed seed (kill -9 or Ctrl-C when a stage starts or after its n-th table,
 * the ephemeral staging server killed, a write to production during the run, a second run at
 * once). After each fault the run is resumed until it finishes (or abandoned when drydock
 * refuses it for good), and the outcome is proven: production equals the same upgrade done in
 * place on a copy, the backup equals the original, nothing is left behind or running.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readManifest, REPO, runCli, tempDir, writeFile } from '../helpers/drydock.ts'
import type { TestEngine } from '../helpers/engines.ts'

export type FaultKind = 'kill' | 'sigint' | 'staging-killed' | 'production-written' | 'second-run'

export interface FaultPoint {
  readonly kind: FaultKind
  /** The stage whose start (or n-th finished table) triggers the fault. */
  readonly stage: string
  readonly afterTables: number
  readonly staging: 'url' | 'ephemeral'
}

export interface FaultOutcome {
  readonly point: FaultPoint
  /** How the first attempt ended (exit code, or -9 for a kill). */
  readonly firstExit: number
  readonly resumes: number
  /** `verified`: resumed to a verified swap; `refused`: drydock refused it for good, and production kept its data. */
  readonly result: 'verified' | 'refused'
  readonly rowsLost: number
  readonly rowsDuplicated: number
}

const KILL_STAGES = ['dump', 'load', 'verify-hop1', 'migrate', 'loadback', 'verify-hop2', 'swap'] as const

/** A small deterministic generator (mulberry32), so a seed names the same campaign every time. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** The campaign's points: quick for `npm test`, every stage (twice, both stagings) for `npm run faults`. */
export function faultPoints(seed: number, long: boolean): FaultPoint[] {
  const next = seeded(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!
  const stages = long ? [...KILL_STAGES, ...KILL_STAGES] : [...KILL_STAGES].sort(() => next() - 0.5).slice(0, 3)
  const points: FaultPoint[] = stages.map((stage, i) => ({
    kind: 'kill', stage, afterTables: Math.floor(next() * 2), staging: long && i >= KILL_STAGES.length ? 'ephemeral' : 'url',
  }))
  points.push({ kind: 'kill', stage: pick(['dump', 'load', 'migrate', 'loadback']), afterTables: 0, staging: 'ephemeral' })
  points.push({ kind: 'sigint', stage: pick(KILL_STAGES.slice(0, 5)), afterTables: Math.floor(next() * 2), staging: 'url' })
  points.push({ kind: 'staging-killed', stage: pick(['dump', 'load', 'migrate']), afterTables: 0, staging: 'ephemeral' })
  points.push({ kind: 'production-written', stage: pick(['load', 'migrate', 'loadback']), afterTables: 0, staging: 'url' })
  // The first run waits in its migration (on a gate the campaign opens) while a second one is tried.
  points.push({ kind: 'second-run', stage: 'migrate', afterTables: 0, staging: 'url' })
  return points
}

interface Started {
  child: ChildProcess
  exit: Promise<number>
  output: () => string
}

function startCli(args: readonly string[], cwd: string): Started {
  const child = spawn(join(REPO, 'node_modules', '.bin', 'zx'), [join(REPO, 'scripts', 'offline-upgrade.mjs'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (c: Buffer) => { output += c.toString('utf8') })
  child.stderr!.on('data', (c: Buffer) => { output += c.toString('utf8') })
  const exit = new Promise<number>((done) => child.on('close', (code, signal) => done(code ?? (signal === 'SIGKILL' ? -9 : -1))))
  return { child, exit, output: () => output }
}

/** The run's events so far (logs/events.jsonl), or none yet. */
function events(runs: string): { kind: string; stage?: string }[] {
  const dirs = existsSync(runs) ? readdirSync(runs).filter((name) => !name.startsWith('.')) : []
  const file = dirs.length ? join(runs, dirs[0]!, 'logs', 'events.jsonl') : ''
  if (!file || !existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((line) => {
    try { return [JSON.parse(line) as { kind: string; stage?: string }] } catch { return [] }
  })
}

/** Resolves when the point is reached in the run's event log, or when the run ended first (false). */
async function reached(runs: string, point: FaultPoint, run: Started): Promise<boolean> {
  let ended = false
  void run.exit.then(() => { ended = true })
  for (;;) {
    const seen = events(runs)
    const started = seen.some((e) => e.kind === 'stage-start' && e.stage === point.stage)
    const tables = seen.filter((e) => e.kind === 'table-done' && e.stage === point.stage).length
    if (started && tables >= point.afterTables) return true
    if (ended || seen.some((e) => e.kind === 'stage-done' && e.stage === point.stage)) return started
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Server processes whose command line names this folder (an ephemeral staging server left behind). */
export function processesUnder(folder: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
  return out.split('\n').filter((line) => line.includes(folder) && !line.includes('ps -eo'))
}

/** One fault, then resumes until the run is done; returns what happened, having proven the outcome. */
export async function runFault(engine: TestEngine, prefix: string, point: FaultPoint, index: number): Promise<FaultOutcome> {
  const live = `${prefix}_${index}`
  await engine.createApp(live)
  const original = await engine.state(live)
  const countsBefore = await rowCounts(engine, live)
  const dir = tempDir(`campaign-${index}`)
  const runs = join(dir, 'runs')
  mkdirSync(runs)
  writeFile(dir, 'upgrade.sql', engine.upgradeSql)
  const staging = point.staging === 'url' ? engine.url(`${live}_stg`) : 'ephemeral'
  const gate = join(dir, 'gate')
  const migrate = point.kind === 'second-run' ? [{ name: 'gate', command: `head -c1 ${gate} >/dev/null` }, { sql: 'upgrade.sql' }] : [{ sql: 'upgrade.sql' }]
  if (point.kind === 'second-run') execFileSync('mkfifo', [gate])
  writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ source: engine.url(live), staging, runDir: 'runs', jobs: 2, migrate })}\n`)

  const first = startCli(['--yes'], dir)
  const hit = await reached(runs, point, first)
  let written = false
  if (hit) {
    if (point.kind === 'kill') first.child.kill('SIGKILL')
    if (point.kind === 'sigint') first.child.kill('SIGINT')
    if (point.kind === 'staging-killed') killStagingServer(runs)
    if (point.kind === 'production-written') {
      await engine.query(live, "UPDATE accounts SET balance = balance + 1 WHERE id = 1")
      written = true
    }
    if (point.kind === 'second-run') {
      const second = await runCli(['--yes'], dir)
      writeFileSync(gate, 'go')
      if (second.code !== 1 || !/DD_SOURCE_LOCKED|DD_RUN_LOCKED/.test(second.stderr)) {
        throw new Error(`a second run at once was not refused:\n${second.stderr}`)
      }
    }
  }
  const firstExit = await first.exit
  const run = join(runs, readdirSync(runs).filter((name) => !name.startsWith('.'))[0]!)
  let resumes = 0
  let last = first.output()
  while (readManifest(run).verdict !== 'verified') {
    if (resumes === 4) throw new Error(`not verified after ${resumes} resumes (${point.kind} at ${point.stage}):\n${last}`)
    const resumed = await runCli(['--resume', run, '--yes'], dir)
    resumes++
    last = `${resumed.stdout}\n${resumed.stderr}`
    if (resumed.code !== 0 && written && /DD_WRITE_FENCE|DD_VERIFY_MISMATCH|DD_RESUME_SCHEMA_CHANGED/.test(resumed.stderr)) break
    if (resumed.code !== 0 && /DD_NOTHING_TO_RESUME/.test(resumed.stderr)) break
  }
  const manifest = readManifest(run)
  if (manifest.verdict !== 'verified') {
    // Refused for good (production written during the run): production must hold its own data, the write included.
    const cleanup = await runCli(['--cleanup', run], dir)
    if (cleanup.code !== 0) throw new Error(`--cleanup of a refused run failed:\n${cleanup.stderr}`)
    const now = await engine.state(live)
    if (now.schema !== original.schema) throw new Error('a refused run changed production\'s schema')
    const accounts = await engine.query(live, 'SELECT balance FROM accounts WHERE id = 1')
    if (Number(accounts[0]!.balance) !== 2.5) throw new Error(`production lost the write made during the run: ${JSON.stringify(accounts)}`)
    leftBehind(await engine.withPrefix(`${live}_`), [], point, runs)
    return { point, firstExit, resumes, result: 'refused', ...rowBalance(await rowCounts(engine, live), countsBefore) }
  }
  const reference = `${live}_ref`
  await engine.createApp(reference)
  await engine.query(reference, engine.upgradeSql)
  if (written) await engine.query(reference, 'UPDATE accounts SET balance = balance + 1 WHERE id = 1')
  const [upgraded, expected] = [await engine.state(live), await engine.state(reference)]
  if (JSON.stringify(upgraded) !== JSON.stringify(expected)) {
    throw new Error(`after ${point.kind} at ${point.stage}: production differs from the same upgrade in place:\n${JSON.stringify(upgraded)}\n${JSON.stringify(expected)}`)
  }
  const backup = manifest.swap!.backup
  if (JSON.stringify(await engine.state(backup)) !== JSON.stringify(original)) throw new Error(`after ${point.kind} at ${point.stage}: the backup differs from the original`)
  leftBehind(await engine.withPrefix(`${live}_`), [backup, reference], point, runs)
  return { point, firstExit, resumes, result: 'verified', ...rowBalance(await rowCounts(engine, live), await rowCounts(engine, reference)) }
}

async function rowCounts(engine: TestEngine, database: string): Promise<number[]> {
  const counts: number[] = []
  for (const table of ['accounts', 'orders']) counts.push(Number((await engine.query(database, `SELECT COUNT(*) AS n FROM ${table}`))[0]!.n))
  return counts
}

/** Rows of the app's tables now against before: lost (fewer) and duplicated (more). */
function rowBalance(now: number[], before: number[]): { rowsLost: number; rowsDuplicated: number } {
  const diffs = now.map((n, i) => n - before[i]!)
  return { rowsLost: diffs.filter((d) => d < 0).reduce((a, d) => a - d, 0), rowsDuplicated: diffs.filter((d) => d > 0).reduce((a, d) => a + d, 0) }
}

function leftBehind(databases: string[], allowed: readonly string[], point: FaultPoint, runs: string): void {
  const leftovers = databases.filter((name) => !allowed.includes(name))
  if (leftovers.length) throw new Error(`after ${point.kind} at ${point.stage}: databases left behind: ${leftovers.join(', ')}`)
  const running = processesUnder(runs)
  if (running.length) throw new Error(`after ${point.kind} at ${point.stage}: processes left running:\n${running.join('\n')}`)
}

/** kill -9 of the run's ephemeral staging server (its folder is under the runs folder). */
function killStagingServer(runs: string): void {
  for (const line of processesUnder(runs)) {
    if (!/postgres -D|mariadbd|mysqld/.test(line)) continue
    try { process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL') } catch { /* gone already */ }
  }
}
