/** The manifest (manifest.json of a run directory, pipeline/run-state/run-dir.ts): the run's state, as plain JSON. */
import type { SchemaMove, SequenceBehind, SequenceValue } from '../drivers/driver.ts'
import type { EngineName } from '../config/endpoint.ts'
import type { StageName } from '../errors.ts'
import type { CarryOverRecord, ExpectationResult, Fence, ObjectCheck } from './check-records.ts'
import type { PrestageRecord, RefreshRecord } from './prestage-records.ts'
import type { ReplicationRecord } from './replication-records.ts'
import type { CheckpointRecord, Provenance, TransformRecord } from './stage-records.ts'
import type { MigratedRecord, TableRecord } from './table-records.ts'

/** An endpoint without its password. */
export interface SourceRecord {
  readonly engine: EngineName
  readonly host: string
  readonly port: number
  readonly user: string
  readonly database: string
  readonly params: Readonly<Record<string, string>>
}

export interface StageRecord {
  status: 'running' | 'done' | 'failed'
  startedAt: string
  finishedAt?: string
  ms?: number
  error?: string
}

export interface StepRecord {
  index: number
  name: string
  kind: 'sql' | 'command' | 'transform'
  /** `running` from its start until it ends: a run killed meanwhile left staging half-migrated. */
  status: 'running' | 'done' | 'failed'
  ms: number
  log: string
  /** SQL steps: each file in the order applied, with its hash and time (the log has a header per file). */
  files?: { file: string; sha256: string; ms?: number }[]
  /** Transform steps: rows and bytes in and out. */
  transform?: TransformRecord
}

export interface Manifest {
  version: 1
  runId: string
  /** A rehearsal runs every stage but never swaps production; its timings feed later plans. */
  mode?: 'upgrade' | 'rehearsal'
  createdAt: string
  engine: EngineName
  configFile: string
  /** Production, as described in output (no password). */
  source: string
  /** Production's connection fields, so --rollback, --cleanup and --resume act on this run's database whatever config is near. */
  sourceEndpoint?: SourceRecord
  staging: { kind: 'ephemeral' | 'url'; endpoint?: string; dataDir?: string; version?: string; created?: boolean }
  target: {
    kind: 'in-place' | 'url'; endpoint: string; shadow?: string; shadowCreated?: boolean; backup?: string
    /**
     * A rehearsal's copy loaded aside (config rehearsalTarget), never on production: `staging`, a
     * second database on the staging server; `url`, the database rehearsalTarget names. `shadow` is its name.
     */
    rehearsal?: { kind: 'staging' | 'url'; endpoint: string; database: string }
    /** The copy is in shadow schemas of the live database (schema swap), keyed by the schema each stands in for. */
    schemas?: Record<string, string>
  }
  /** How the copy goes live (in-place upgrades): by swapping schemas inside the live database or the whole database, and why. */
  swapPath?: { kind: 'schema' | 'database'; reason: string }
  sourceVersion?: string
  /** The driver's checksum (Driver.checksumAlgorithm): a resume refuses to compare it with another one. */
  checksumAlgorithm?: string
  snapshot?: { id: string; position: string; takenAt: string; fingerprint?: string }
  /** Each --resume: when, and the snapshot it had to take when the source was still needed. */
  resumes?: { at: string; snapshot?: { id: string; position: string } }[]
  /** Write marks of production's tables taken just before the snapshot, checked before the swap. */
  fence?: Fence
  /** Write marks of the production copy (shadow or target) taken before hop 2, checked before the swap. */
  shadowFence?: Fence
  /** The type-fidelity canary's result (staging stage). */
  canary?: { columns: number; rows: number; ms: number }
  /** Who ran it, where, with which drydock and config (report sign-off block). */
  provenance?: Provenance
  /** The write fences as the swap checked them: tables proven unchanged by their marks or by checksum. */
  fenceCheck?: { at: string; production?: { byMarks: number; byChecksum: number }; copy?: { byMarks: number; byChecksum: number } }
  /** Staging has its indexes, constraints and triggers (post-data applied). */
  stagingPostData?: boolean
  /** Hooks already run, so a resumed run does not repeat them. */
  hooksRun?: string[]
  stages: Partial<Record<StageName, StageRecord>>
  tables: Record<string, TableRecord>
  migrated: Record<string, MigratedRecord>
  steps: StepRecord[]
  sequences?: SequenceValue[]
  /** Sequences (and AUTO_INCREMENT counters) compared by each hop. */
  sequenceChecks?: { hop1?: ObjectCheck; hop2?: ObjectCheck }
  /** Populated materialized views' checksums compared by each hop. */
  materializedViewChecks?: { hop1?: ObjectCheck; hop2?: ObjectCheck }
  /** Sequences the migration left at or below their column's largest value: carried as they are, and warned about. */
  sequencesBehind?: SequenceBehind[]
  /** Whole-definition digests of staging's tables before the migration (engines that keep unchanged tables live). */
  tableDefinitionsBefore?: Record<string, string>
  /** Load back only what changed (pipeline/stages/loadback/keep-tables.ts): tables left live, and why others were copied. */
  keep?: {
    tables: string[]; bytes: number; copiedAnyway: { table: string; reason: string }[]; estimatedMsSaved?: number
    /** Schema swap: each kept table's storage file (relfilenode) before and after the swap. */
    files?: Record<string, { before: string; after: string }>
  }
  /** Column definition fingerprints of staging's tables before the first migration step (pipeline/safety/expectations). */
  definitionsBefore?: Record<string, string>
  /** Config `expect`, checked after the migration, with the values found. */
  expectations?: ExpectationResult[]
  /** Per table: carried over unchanged, changed, new or dropped by the migration. */
  carryOver?: CarryOverRecord[]
  /** The staging checkpoint taken after hop 1 (pipeline/stages/checkpoint). */
  checkpoint?: CheckpointRecord
  /** Set while staging is being restored to its pre-migration state (when it began). */
  restoringStaging?: string
  /** Loadback under --max-rate / replica lag limits: time spent paused or rate-limited. */
  throttle?: { pausedMs: number; pauses: number; limitedMs: number }
  /** Replication cost of the load back and swap, and how each replica was loaded (pipeline/replication). */
  replication?: ReplicationRecord
  /**
   * `swapping`: the intent, written just before the rename (pipeline/stages/swap/settle-swap.ts settles
   * it after a kill). `parked`: what the swap took off the old tables around kept ones, for
   * --rollback to put back. `note`: what a swap cut short left undone.
   */
  swap?: {
    status: 'swapping' | 'swapped' | 'rolled-back' | 'cleaned-up'; at: string; live: string; backup: string
    shadow?: string; parked?: unknown[]; note?: string
    /** Schema swap: the schemas renamed (live ↔ backup or rejected); `live` is then the database, `backup` lists the schemas. */
    schemas?: SchemaMove[]
  }
  /** Started with --prestage: a resume before the prestage finished goes on prestaging. */
  prestageAsked?: boolean
  /** `--prestage`: the parts' checksums of the prestaged snapshot, which the refresh compares with production (pipeline/stages/refresh). */
  prestage?: PrestageRecord
  /** The refresh at the start of the window: new snapshot, what was copied again and why. */
  refresh?: RefreshRecord
  /** The maintenance window: from the refresh's start (prestaged run) or the run's start, to the end of the swap. */
  window?: { startedAt: string; endedAt: string; ms: number }
  verdict?: 'verified' | 'failed' | 'rolled-back' | 'abandoned'
  failure?: { code: string; message: string; stage?: string; table?: string }
}

