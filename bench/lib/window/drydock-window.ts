/**
 * drydock's real upgrade (in place, swapped, `yes: true`, ephemeral staging) of a production
 * copy through the library, with the WAL / binary-log bytes production wrote meanwhile and the
 * window: the manifest's `window` field when the checkout records one, else run start (first
 * stage started) → swap end from the manifest's stage times.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type MigrationStep, parseConfig } from '../../../pipeline/config/config.ts'
import type { RunOptions } from '../../../pipeline/run-state/context.ts'
import { resumeUpgrade } from '../../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../../pipeline/commands/run-command.ts'
import type { ProductionServer } from './production-server.ts'

export interface DrydockWindow {
  verdict: string
  runDir: string
  /** runUpgrade's wall time (preflight to report): today's full round trip. */
  wallMs: number
  windowMs: number
  windowSource: 'manifest.window' | 'run start → swap end (stage times)'
  /** WAL / binlog bytes production wrote during the call (the window, when no prestage). */
  logBytes: number
  stages: Record<string, number>
  /** The migration steps' own time on staging (manifest steps[].ms), without the migrate stage's checks around them. */
  stepsMs: number
  /** The manifest's `replication` record when the checkout writes one (bytes drydock sent replicas itself). */
  replication: unknown
}

type Manifest = {
  verdict?: string; window?: { startedAt: string; endedAt: string; ms: number }; replication?: unknown
  stages: Record<string, { startedAt: string; finishedAt?: string; ms?: number } | undefined>
  resumes?: { at: string }[]
  steps?: { ms?: number }[]
}

export const readManifest = (runDir: string): Manifest => JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'))

function configFor(server: ProductionServer, db: string, steps: MigrationStep[], jobs: number, runDir: string) {
  mkdirSync(runDir, { recursive: true })
  return parseConfig({ source: server.url(db), staging: 'ephemeral', jobs, runDir, migrate: steps }, join(runDir, 'bench.config.mjs'))
}

/** Window from the manifest, else from `from` (default: the first stage's start) to the swap's end. */
export function windowOf(m: Manifest, from?: string): Pick<DrydockWindow, 'windowMs' | 'windowSource'> {
  if (m.window && Number.isFinite(m.window.ms)) return { windowMs: m.window.ms, windowSource: 'manifest.window' }
  const start = from ?? Object.values(m.stages).map((s) => s!.startedAt).sort()[0]
  const end = m.stages.swap?.finishedAt
  if (!start || !end) throw new Error('the run has no swap: no window to measure')
  return { windowMs: Date.parse(end) - Date.parse(start), windowSource: 'run start → swap end (stage times)' }
}

const stageMs = (m: Manifest) => Object.fromEntries(Object.entries(m.stages).map(([name, s]) => [name, s?.ms ?? 0]))
const stepsMs = (m: Manifest) => (m.steps ?? []).reduce((sum, s) => sum + (s.ms ?? 0), 0)

export async function drydockUpgrade(server: ProductionServer, db: string, steps: MigrationStep[], jobs: number, runDir: string): Promise<DrydockWindow> {
  const config = configFor(server, db, steps, jobs, runDir)
  const before = await server.logBytes()
  const started = Date.now()
  const result = await runUpgrade(config, { yes: true, keepStaging: false, jobs })
  const wallMs = Date.now() - started
  const logBytes = (await server.logBytes()) - before
  const m = readManifest(result.runDir)
  return { verdict: result.report.verdict, runDir: result.runDir, wallMs, ...windowOf(m), logBytes, stages: stageMs(m), stepsMs: stepsMs(m), replication: m.replication ?? null }
}

export interface PrestageWindow extends DrydockWindow {
  prestageMs: number
  /** Rows the application changed on production between the prestage and the window. */
  rowsChanged: number
  /** Resume start (or the manifest's window start) → the migrate stage's start: the refresh. */
  refreshMs: number
}

/**
 * Whether the checkout's RunOptions has `prestage` (the option a parallel helper adds): a run
 * that stops once hop 1 verified staging, leaving staging up, for a resume to refresh and finish.
 */
export function hasPrestage(treeRoot: string): boolean {
  return /\bprestage\??\s*:/.test(readFileSync(join(treeRoot, 'pipeline', 'run-state', 'context.ts'), 'utf8'))
}

/**
 * Prestage (runUpgrade with `{ prestage: true }`: stops after hop 1), then `change` on
 * production (1 % of rows), then resumeUpgrade: the refresh and the rest, to the swap — the
 * window. Bytes are production's during the resume only. Throws `PrestageUnavailable` when the
 * checkout ignored the option (the run went on to the swap).
 */
export async function drydockPrestage(
  server: ProductionServer, db: string, steps: MigrationStep[], jobs: number, runDir: string, change: () => Promise<number>,
): Promise<PrestageWindow> {
  const config = configFor(server, db, steps, jobs, runDir)
  const options = { yes: true, keepStaging: false, jobs, prestage: true } as RunOptions
  let started = Date.now()
  const staged = await runUpgrade(config, options)
  const prestageMs = Date.now() - started
  if (readManifest(staged.runDir).stages.swap) throw new PrestageUnavailable('runUpgrade ignored { prestage: true } and went on to the swap')
  const rowsChanged = await change()
  const before = await server.logBytes()
  started = Date.now()
  const result = await resumeUpgrade(staged.runDir, config, { yes: true, keepStaging: false, jobs })
  const wallMs = Date.now() - started
  const logBytes = (await server.logBytes()) - before
  const m = readManifest(result.runDir)
  const resumedAt = m.window?.startedAt ?? m.resumes?.at(-1)?.at ?? new Date(started).toISOString()
  const migrateAt = m.stages.migrate?.startedAt
  return {
    verdict: result.report.verdict, runDir: result.runDir, wallMs, ...windowOf(m, resumedAt), logBytes, stages: stageMs(m), stepsMs: stepsMs(m),
    replication: m.replication ?? null, prestageMs, rowsChanged,
    refreshMs: migrateAt ? Date.parse(migrateAt) - Date.parse(resumedAt) : Number.NaN,
  }
}

export class PrestageUnavailable extends Error {}

/** The run's data files (a copy of the database each) go; manifest, report and logs stay for reading. */
export function dropRunFiles(runDir: string): void {
  for (const folder of ['dump', 'migrated']) rmSync(join(runDir, folder), { recursive: true, force: true })
}
