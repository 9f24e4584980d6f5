import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PartRange, SequenceBehind, SequenceValue, TableChecksum } from './drivers/driver.ts'
import type { ObjectCheck } from './verify/sequence-check.ts'
import type { EngineName } from './endpoint.ts'
import type { StageName } from './errors.ts'
import type { Fence } from './fence/fence.ts'
import { writeFileAtomic } from './util/files.ts'
import type { CheckpointRecord } from './checkpoint/checkpoint.ts'
import type { CarryOverRecord, ExpectationResult } from './invariants/expectations.ts'
import type { Provenance } from './report/run-provenance.ts'
import type { TransformRecord } from './transform/run-transform.ts'
import type { PrestageRecord, RefreshRecord } from './prestage/prestage-types.ts'
import type { SchemaMove } from './drivers/driver.ts'
import type { ReplicationRecord } from './replication/replication-record.ts'

/**
 * Every path of a run directory, in one place:
 *
 *   manifest.json            state of the run, rewritten atomically after each unit of work
 *   report.json, report.md   the verification report (report.html: the same as one page)
 *   schema/                  pg_dump / SHOW CREATE output applied to staging and the shadow
 *   dump/                    production rows as of the snapshot (the backup and resume point)
 *   migrated/                staging rows after the migration, loaded back into production
 *   steps/                   output of each migration step
 *   hooks/                   output of each config hook
 *   logs/events.jsonl        every event of the run, one JSON object a line
 *   logs/tools.log           output of pg_dump, psql, initdb, …
 *   staging/                 the ephemeral staging server, when there is one
 */
export function runPaths(root: string) {
  return {
    root,
    manifest: join(root, 'manifest.json'),
    reportJson: join(root, 'report.json'),
    reportMd: join(root, 'report.md'),
    reportHtml: join(root, 'report.html'),
    schemaDir: join(root, 'schema'),
    dumpDir: join(root, 'dump'),
    migratedDir: join(root, 'migrated'),
    stepsDir: join(root, 'steps'),
    hooksDir: join(root, 'hooks'),
    logsDir: join(root, 'logs'),
    events: join(root, 'logs', 'events.jsonl'),
    toolLog: join(root, 'logs', 'tools.log'),
    stagingDir: join(root, 'staging'),
  }
}

export type RunPaths = ReturnType<typeof runPaths>

export function createRunDirs(paths: RunPaths): void {
  for (const dir of [paths.root, paths.schemaDir, paths.dumpDir, paths.migratedDir, paths.stepsDir, paths.hooksDir, paths.logsDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  }
}

export interface FileRecord {
  readonly file: string
  readonly rows: number
  /** Size of the file on disk (compressed, when it is), which `sha256` hashes. */
  readonly bytes: number
  readonly sha256: string
  /** Set for a compressed file, with the size of the rows' text before compression. */
  readonly compression?: 'gzip'
  readonly rawBytes?: number
}

/** One part of a table (pipeline/parts): its own file, row count and hash. */
export interface PartRecord {
  /** Absent: the whole table. */
  readonly range?: PartRange
  /** Its file, once written completely (fsynced and renamed). */
  file?: FileRecord
  /** Committed into the database the stage loads (staging, or the production copy). */
  loaded?: boolean
}

/** A table's files once every part has one: rows and bytes in all. */
export interface DumpSummary {
  readonly rows: number
  readonly bytes: number
  readonly files: number
}

export interface TableRecord {
  readonly schema: string
  readonly name: string
  /** False for tables left out by tables.include/exclude: they travel empty. */
  carried: boolean
  primaryKey: readonly string[]
  estimatedRows: number
  bytes: number
  /** Planned when the dump starts: one part (no range) unless the table is split. */
  parts?: PartRecord[]
  /** Set once every part has its file. */
  dump?: DumpSummary
  /** Every part loaded into staging (committed). */
  loaded?: boolean
  /** Hop 1: the production snapshot and staging before the migration. */
  source?: TableChecksum
  staging?: TableChecksum
}

export interface MigratedRecord {
  readonly schema: string
  readonly name: string
  /** Staging's catalog size and key, for splitting it into parts. */
  bytes?: number
  primaryKey?: readonly string[]
  parts?: PartRecord[]
  dump?: DumpSummary
  /** Hop 2: staging after the migration and the copy in production (shadow or target). */
  migrated?: TableChecksum
  shadow?: TableChecksum
  /** Unchanged by the migration and left live: not copied, not swapped (see Manifest.keep). */
  kept?: boolean
}

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
  /** Load back only what changed (pipeline/loadback/keep-tables.ts): tables left live, and why others were copied. */
  keep?: {
    tables: string[]; bytes: number; copiedAnyway: { table: string; reason: string }[]; estimatedMsSaved?: number
    /** Schema swap: each kept table's storage file (relfilenode) before and after the swap. */
    files?: Record<string, { before: string; after: string }>
  }
  /** Column definition fingerprints of staging's tables before the first migration step (pipeline/invariants). */
  definitionsBefore?: Record<string, string>
  /** Config `expect`, checked after the migration, with the values found. */
  expectations?: ExpectationResult[]
  /** Per table: carried over unchanged, changed, new or dropped by the migration. */
  carryOver?: CarryOverRecord[]
  /** The staging checkpoint taken after hop 1 (pipeline/checkpoint). */
  checkpoint?: CheckpointRecord
  /** Set while staging is being restored to its pre-migration state (when it began). */
  restoringStaging?: string
  /** Loadback under --max-rate / replica lag limits: time spent paused or rate-limited. */
  throttle?: { pausedMs: number; pauses: number; limitedMs: number }
  /** Replication cost of the load back and swap, and how each replica was loaded (pipeline/replication). */
  replication?: ReplicationRecord
  /**
   * `swapping`: the intent, written just before the rename (pipeline/swap/settle-swap.ts settles
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
  /** `--prestage`: the parts' checksums of the prestaged snapshot, which the refresh compares with production (pipeline/prestage). */
  prestage?: PrestageRecord
  /** The refresh at the start of the window: new snapshot, what was copied again and why. */
  refresh?: RefreshRecord
  /** The maintenance window: from the refresh's start (prestaged run) or the run's start, to the end of the swap. */
  window?: { startedAt: string; endedAt: string; ms: number }
  verdict?: 'verified' | 'failed' | 'rolled-back' | 'abandoned'
  failure?: { code: string; message: string; stage?: string; table?: string }
}

export function tableKey(t: { schema: string; name: string }): string {
  return `${t.schema}.${t.name}`
}

/** The manifest in memory, written through atomically on every save. */
export class ManifestStore {
  private writing: Promise<void> = Promise.resolve()
  constructor(readonly path: string, public data: Manifest) {}

  static load(path: string): ManifestStore {
    if (!existsSync(path)) throw new Error(`no manifest at ${path}`)
    return new ManifestStore(path, JSON.parse(readFileSync(path, 'utf8')) as Manifest)
  }

  /** Saves are serialised: parallel workers finishing units never interleave their writes. */
  save(): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(this.path, `${JSON.stringify(this.data, null, 2)}\n`))
    return this.writing
  }

  async update(change: (m: Manifest) => void): Promise<void> {
    change(this.data)
    await this.save()
  }
}

/** Run ids sort by time and make readable database and folder names: 20261121-064800. */
export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
}
