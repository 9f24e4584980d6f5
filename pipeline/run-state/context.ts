import type { ParsedConfig } from '../config/config.ts'
import type { Compression } from '../transfer/file-codec.ts'
import type { Driver, EphemeralServer, Session, Snapshot, TableInfo } from '../drivers/driver.ts'
import type { Endpoint } from '../config/endpoint.ts'
import type { StageName } from '../errors.ts'
import type { EventLog } from './log.ts'
import type { StageProgress } from '../display/progress.ts'
import type { ManifestStore, RunPaths } from './run-dir.ts'
import type { Resource, RunStageName, Stage } from '../stages.ts'

export interface RunOptions {
  /** Skip the confirmation before production is written. */
  yes: boolean
  keepStaging: boolean
  jobs: number
  /** Stream each part straight into the next database while writing its file. @defaultValue true */
  direct?: boolean
  /** Dump files compressed (--compress). @defaultValue config compress, else 'none' */
  compress?: Compression
  /** Tables bigger than this (catalog bytes) are split into parts. @defaultValue config partMB, else 128 MiB */
  partBytes?: number
  /** Run every stage but never swap production (the shadow copy is dropped at the end). */
  rehearse?: boolean
  /** Keep a checkpoint of staging after hop 1, for `--from migrate`. @defaultValue true when rehearsing */
  checkpoint?: boolean
  /** Stop after hop 1 (and the refresh parts' checksums), staging kept: `--resume` refreshes it in the window. */
  prestage?: boolean
  /** `quiet`: no progress display; `verbose`: the run's events on stderr too (--quiet, --verbose). @defaultValue 'normal' */
  verbosity?: 'quiet' | 'normal' | 'verbose'
  /** With --resume: restore staging from its checkpoint and run every stage from the migration on. */
  from?: 'migrate'
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
  /** Aborted by Ctrl-C / SIGTERM: workers take no new unit, open sessions are closed. */
  readonly signal: AbortSignal
  /** True when this attempt continues a run directory (--resume). */
  readonly resumed: boolean
  /** Every session open right now, so an interrupt can cut the units under way. */
  readonly openSessions: Set<Session>
}

/** The field of RunContext that holds each resource of the stage table (stages.ts). */
export interface ResourceField {
  snapshot: 'snapshot'
  staging: 'staging'
  target: 'loadTarget'
}

/** A RunContext whose fields for `N` are set: what a stage needing `N` may read without a check. */
export type ContextFor<N extends Resource> = RunContext & Required<Pick<RunContext, ResourceField[N]>>

export type SnapshotContext = ContextFor<'snapshot'>
export type StagingContext = ContextFor<'staging'>
export type TargetContext = ContextFor<'target'>

/** The context a stage of the table runs with: its row's `needs` set (the runner checks them, stage-context.ts). */
export type StageContext<S extends RunStageName> = ContextFor<Extract<Stage, { name: S }>['needs'][number]>

/** Registers a session so an interrupt can close it; returns it. */
export function track<S extends Session>(ctx: RunContext, session: S): S {
  ctx.openSessions.add(session)
  const close = session.close.bind(session)
  session.close = async () => {
    ctx.openSessions.delete(session)
    await close()
  }
  return session
}

/** Opens `count` sessions on an endpoint, runs `work`, and closes them whatever happens. */
export async function withSessions<T>(
  ctx: RunContext, endpoint: Endpoint, count: number, work: (sessions: Session[]) => Promise<T>,
): Promise<T> {
  const sessions: Session[] = []
  try {
    for (let i = 0; i < count; i++) {
      ctx.signal.throwIfAborted()
      sessions.push(track(ctx, await ctx.driver.connect(endpoint)))
    }
    return await work(sessions)
  } finally {
    await Promise.all(sessions.map((s) => s.close()))
  }
}
