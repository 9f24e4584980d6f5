import { statfsSync, existsSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ParsedConfig } from '../config.ts'
import { driverFor } from '../drivers/registry.ts'
import { describeEndpoint } from '../endpoint.ts'
import { preflight, preflightStatus, preflightText } from '../preflight/preflight.ts'
import { selectCarried } from '../snapshot/select-tables.ts'
import { loadbackEstimate } from './loadback-basis.ts'
import { pastRuns } from './past-runs.ts'
import { sampleReadRate } from './sample-rate.ts'

export interface StageEstimate { stage: string; seconds: number | null; note?: string }

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
  const info = await preflight(config, driver, { throwOnFail: false, jobs })
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
    stages = Object.entries(previous.stages).map(([stage, r]) => ({ stage, seconds: r?.ms === undefined ? null : (r.ms / 1000) * scale }))
    const loadback = stages.find((s) => s.stage === 'loadback')
    if (loadback) {
      const estimate = loadbackEstimate(previous, config, scale, loadback.seconds)
      loadback.seconds = estimate.seconds
      loadbackBasis = estimate.basis
    }
  } else {
    const rate = largest ? await sampleReadRate(driver, config.source, largest) : undefined
    basis = rate ? `a ${(rate / 1e6).toFixed(0)} MB/s read sample of ${largest!.schema}.${largest!.name} (no rehearsal yet: run --rehearse for real numbers)` : 'no sample (empty database)'
    const copy = rate ? Math.max(carriedBytes / (rate * jobs), (largest?.bytes ?? 0) / rate) : 0
    // Factors over a bare read, measured on the Patchwork fixture (file writes and fsync, COPY
    // FROM with index builds, checksums on both sides): rough by nature; a rehearsal is exact.
    stages = [
      { stage: 'snapshot', seconds: 0.1 },
      { stage: 'staging', seconds: config.staging === 'ephemeral' ? 2 : 0.5 },
      { stage: 'dump', seconds: copy * 2 },
      { stage: 'load', seconds: copy * 6 },
      { stage: 'verify-hop1', seconds: copy * 2 },
      { stage: 'migrate', seconds: null, note: 'unknown until rehearsed' },
      { stage: 'loadback', seconds: copy * 9 },
      { stage: 'verify-hop2', seconds: copy * 2 },
      { stage: 'swap', seconds: config.target === 'in-place' ? 1 : 0 },
    ]
  }
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
    checks: preflightText(info),
    checksStatus: preflightStatus(info),
  }
}
