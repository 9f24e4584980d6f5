import { statfsSync, existsSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ParsedConfig } from '../config/config.ts'
import { engineFacts } from '../drivers/engines.ts'
import { driverFor } from '../drivers/registry.ts'
import { describeEndpoint } from '../config/endpoint.ts'
import { preflight, preflightStatus, preflightText } from '../safety/preflight/preflight.ts'
import { selectCarried } from '../stages/snapshot/select-tables.ts'
import { type RunStageName, runOrder } from '../stages.ts'
import { canKeepLive, liveCopyShare, loadbackEstimate } from './loadback-basis.ts'
import { pastRuns } from './past-runs.ts'
import { sampleReadRate } from './sample-rate.ts'
import { copiesTablesWhole } from '../transfer/settings.ts'

/** A stage's expected time and the range it should fall in (seconds); `note` says what it rests on. */
export interface StageEstimate { stage: string; seconds: number | null; low?: number; high?: number; note?: string }

/**
 * Seconds each stage takes before any rehearsal, `copy` being the carried data read at the
 * read sample's rate (every worker side by side); null: unknown until rehearsed. The copying
 * stages are multiples of it that depend on the engine (`roughPlan` in its facts, measured on
 * the Patchwork fixture). The load back and hop 2 are for every table; an in-place upgrade keeps the unchanged ones live, which only a
 * rehearsal can tell (until then half is assumed, below). Rough by nature; a rehearsal is exact.
 */
const ROUGH_SECONDS: Record<RunStageName, (copy: number, config: ParsedConfig) => number | null> = {
  snapshot: () => 0.1,
  // Starting a server, the canary and the schema.
  staging: (_copy, config) => (config.staging === 'ephemeral' ? 8 : 3),
  dump: (copy, config) => copy * roughFactors(config).dump,
  load: (copy, config) => copy * roughFactors(config).load,
  'verify-hop1': (copy, config) => copy * roughFactors(config).hop,
  // Not in a plan: a plan is of a run without --prestage.
  refresh: () => null,
  migrate: () => null,
  loadback: (copy, config) => copy * roughFactors(config).loadback,
  'verify-hop2': (copy, config) => copy * roughFactors(config).hop,
  swap: (_copy, config) => (config.target === 'in-place' ? 1 : 0),
}

const roughFactors = (config: ParsedConfig) => engineFacts(config.source.engine).roughPlan

/** The stages whose work is the tables copied back into production. */
const COPIED_BACK: ReadonlySet<string> = new Set(['loadback', 'verify-hop2'])

/**
 * Stages whose time does not grow with the data: taking the snapshot, creating staging and its
 * schema (a server start, the canary), the swap's renames. Scaling them by data size is what
 * made plans of a bigger database too long.
 */
const SIZE_INDEPENDENT: ReadonlySet<string> = new Set(['swap', 'staging', 'snapshot'])

/** A stage's expected seconds from what an earlier run of it took, the data now `scale` times as big. */
export function rehearsedSeconds(stage: string, ms: number, scale: number): number {
  return (ms / 1000) * (SIZE_INDEPENDENT.has(stage) ? 1 : scale)
}

/** Per-worker read speed assumed when the sample cannot be trusted: a modest server's. */
const FALLBACK_RATE = 30e6

export interface Plan {
  source: string
  version: string
  tables: { table: string; carried: boolean; estimatedRows: number; bytes: number }[]
  steps: { index: number; name: string; kind: string }[]
  disk: { place: string; where: string; needBytes: number; freeBytes: number | null }[]
  basis: string
  /** How the load back estimate was measured (after a rehearsal or run), and how it was scaled. */
  loadbackBasis?: string
  stages: StageEstimate[]
  totalSeconds: number
  /** The range the whole window should fall in (seconds, migration steps included only once rehearsed). */
  window: { low: number; high: number }
  /** Pre-flight checks, as `preflightText` prints them. */
  checks: string
  checksStatus: 'ok' | 'warn' | 'fail'
}

/**
 * What a run would do, with disk needs and time estimates: scaled from the last verified
 * rehearsal (or run) of this config when one exists, otherwise from a two-second read sample.
 * Reads only; writes nothing anywhere.
 */
export async function planUpgrade(config: ParsedConfig, jobs: number): Promise<Plan> {
  const driver = await driverFor(config.source.engine)
  // Every check is shown, failures included; only an unreachable source stops the plan.
  const checksStarted = Date.now()
  const info = await preflight(config, driver, { throwOnFail: false, jobs })
  // Pre-flight runs again at the start of the real run: it is part of the window.
  const preflightSeconds = (Date.now() - checksStarted) / 1000
  const session = await driver.connect(config.source)
  const inventory = await session.inventory(config.schemas).finally(() => session.close())
  const carried = selectCarried(inventory, config.include, config.exclude)
  const totalBytes = inventory.reduce((sum, t) => sum + t.bytes, 0)
  const carriedBytes = [...carried].reduce((sum, t) => sum + t.bytes, 0)
  const largest = [...carried][0]

  const previous = pastRuns(config.runDir, config.file)[0]
  let basis: string
  let loadbackBasis: string | undefined
  let stages: StageEstimate[]
  if (previous) {
    const before = Object.values(previous.tables).reduce((sum, t) => sum + t.bytes, 0)
    const scale = before > 0 ? totalBytes / before : 1
    basis = `${previous.mode === 'rehearsal' ? 'rehearsal' : 'run'} ${previous.runId}, scaled ×${scale.toFixed(2)} by data size`
    // A rehearsal at about this size predicts within ±15 %; scaled further, ±25 %.
    const spread = scale > 0.8 && scale < 1.25 ? 0.15 : 0.25
    const copy = liveCopyShare(previous, config, driver.keepsLiveTables)
    const ranged = (stage: string, seconds: number, note?: string): StageEstimate =>
      ({ stage, seconds, low: seconds * (1 - spread), high: seconds * (1 + spread), ...(note ? { note } : {}) })
    stages = [
      ranged('pre-flight', preflightSeconds, 'measured just now'),
      ...Object.entries(previous.stages).map(([stage, r]): StageEstimate => {
        if (r?.ms === undefined) return { stage, seconds: null, note: 'not timed by that run' }
        // A rehearsal's swap stage only dropped its shadow; a real swap is a rename.
        if (stage === 'swap' && previous.mode === 'rehearsal' && config.target === 'in-place') return ranged(stage, 1, 'a rename (the rehearsal only dropped its copy)')
        if (stage === 'loadback') {
          const estimate = loadbackEstimate(previous, config, scale, (r.ms / 1000) * scale, copy)
          loadbackBasis = estimate.basis
          return estimate.seconds === null ? { stage, seconds: null, note: 'unknown' } : ranged(stage, estimate.seconds)
        }
        // Hop 2 checksums the copy: only the tables that are copied.
        if (stage === 'verify-hop2' && copy.note) return ranged(stage, rehearsedSeconds(stage, r.ms, scale) * copy.share, 'the tables the upgrade copies')
        return ranged(stage, rehearsedSeconds(stage, r.ms, scale))
      }),
      ranged('report', 1),
    ]
  } else {
    const sample = await sampleReadRate(driver, config.source, [...carried], jobs)
    const rate = sample?.untrusted ? FALLBACK_RATE * jobs : sample?.rate
    const largestRate = sample?.untrusted ? FALLBACK_RATE : sample?.largestRate
    const sampled = [...new Set(sample?.tables ?? [])].join(', ')
    basis = !sample ? 'no sample (empty database)'
      : sample.untrusted ? `no trustworthy read sample (${sample.untrusted}): assuming ${FALLBACK_RATE / 1e6} MB/s per worker; run --rehearse for real numbers`
        : `a ${(sample.rate / 1e6).toPrecision(2)} MB/s read sample of ${sampled} (${jobs} worker${jobs === 1 ? '' : 's'} side by side; no rehearsal yet: run --rehearse for real numbers)`
    // Tables copied whole (no parts): the largest alone takes at least its own read.
    const whole = copiesTablesWhole(driver, config.partMB === undefined ? undefined : config.partMB * 1024 * 1024, jobs)
    const copy = rate && largestRate ? Math.max(carriedBytes / rate, whole ? (largest?.bytes ?? 0) / largestRate : 0) : 0
    // Before any rehearsal: within a factor of 2 either way at best.
    const rough = (stage: string, seconds: number): StageEstimate => ({ stage, seconds, low: seconds / 2, high: seconds * 2 })
    stages = [
      { stage: 'pre-flight', seconds: preflightSeconds, low: preflightSeconds / 2, high: preflightSeconds * 2, note: 'measured just now' },
      ...runOrder({ prestaged: false }).map(({ name }) => {
        const seconds = ROUGH_SECONDS[name](copy, config)
        // Which tables the migration changes is unknown before a rehearsal: where unchanged ones
        // stay live, half the data is assumed copied back, so the range (÷2 to ×2) spans a
        // migration that changes little to one that changes every table.
        if (seconds !== null && COPIED_BACK.has(name) && canKeepLive(config, driver.keepsLiveTables)) return rough(name, seconds / 2)
        return seconds === null ? { stage: name, seconds, note: 'unknown until rehearsed' } : rough(name, seconds)
      }),
      rough('report', 1),
    ]
  }
  const timed = stages.filter((s) => s.seconds !== null)
  const runDir = config.runDir
  const freeAt = (path: string) => {
    let dir = path
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir)
    try { const s = statfsSync(dir); return s.bavail * s.bsize } catch { return null }
  }
  const disk: Plan['disk'] = [
    { place: 'run directory: dump + migrated files', where: runDir, needBytes: carriedBytes * 2, freeBytes: freeAt(runDir) },
    config.staging === 'ephemeral'
      ? { place: 'ephemeral staging server (in the run directory)', where: runDir, needBytes: totalBytes * 1.5, freeBytes: freeAt(runDir) }
      : { place: 'staging database', where: describeEndpoint(config.staging), needBytes: totalBytes * 1.5, freeBytes: null },
    config.target === 'in-place'
      ? { place: 'shadow database on the production server', where: describeEndpoint(config.source), needBytes: totalBytes, freeBytes: null }
      : { place: 'target database', where: describeEndpoint(config.target), needBytes: totalBytes, freeBytes: null },
  ]
  return {
    source: describeEndpoint(config.source),
    version: info.source.version,
    tables: inventory.map((t) => ({ table: `${t.schema}.${t.name}`, carried: carried.has(t), estimatedRows: t.estimatedRows, bytes: t.bytes })),
    steps: config.steps.map((s) => ({ index: s.index, name: s.name, kind: s.kind })),
    disk,
    basis,
    ...(loadbackBasis ? { loadbackBasis } : {}),
    stages,
    totalSeconds: stages.reduce((sum, s) => sum + (s.seconds ?? 0), 0),
    window: { low: timed.reduce((sum, s) => sum + (s.low ?? s.seconds!), 0), high: timed.reduce((sum, s) => sum + (s.high ?? s.seconds!), 0) },
    checks: preflightText(info),
    checksStatus: preflightStatus(info),
  }
}
