import type { ParsedConfig } from './config.ts'
import type { Driver, EphemeralServer, Session, Snapshot, TableInfo } from './drivers/driver.ts'
import type { Endpoint } from './endpoint.ts'
import type { StageName } from './errors.ts'
import type { EventLog } from './log.ts'
import type { StageProgress } from './progress.ts'
import type { ManifestStore, RunPaths } from './run-dir.ts'

export interface RunOptions {
  /** Skip the confirmation before production is written. */
  yes: boolean
  keepStaging: boolean
  jobs: number
  /** Run every stage but never swap production (the shadow copy is dropped at the end). */
  rehearse?: boolean
  /**
   * Library callers (and tests) may observe each finished stage, e.g. to inspect staging.
   * An error thrown here stops the run like a failing stage.
   */
  afterStage?: (stage: StageName, ctx: RunContext) => Promise<void> | void
}

/** What every stage reads and writes: config, driver, run directory, and live connections. */
export interface RunContext {
  readonly config: ParsedConfig
  readonly driver: Driver
  readonly paths: RunPaths
  readonly manifest: ManifestStore
  readonly log: EventLog
  readonly options: RunOptions
  /** Set by the UI for the stage that runs. */
  progress?: StageProgress
  snapshot?: Snapshot
  /** Snapshot sessions, one per worker. */
  sourceWorkers: Session[]
  tables: TableInfo[]
  staging?: Endpoint
  ephemeral?: EphemeralServer
  /** Stage durations of the last verified run of this config, in run order (for ETAs). */
  lastTimings?: readonly { stage: StageName; ms: number }[]
  /** Where the migrated data is loaded: the shadow database, or the separate target. */
  loadTarget?: Endpoint
}

/** Opens `count` sessions on an endpoint, runs `work`, and closes them whatever happens. */
export async function withSessions<T>(
  ctx: RunContext, endpoint: Endpoint, count: number, work: (sessions: Session[]) => Promise<T>,
): Promise<T> {
  const sessions: Session[] = []
  try {
    for (let i = 0; i < count; i++) sessions.push(await ctx.driver.connect(endpoint))
    return await work(sessions)
  } finally {
    await Promise.all(sessions.map((s) => s.close()))
  }
}
