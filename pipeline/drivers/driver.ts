import type { ErrorCode } from '../error-codes.ts'
import type { Readable, Transform } from 'node:stream'
import type { Endpoint, EngineName } from '../config/endpoint.ts'
import type { FenceMarks, FenceReadOptions } from '../safety/fence/fence-types.ts'
import type { CanaryTable } from '../safety/canary/canary-types.ts'
import type { CheckpointKind } from '../run-state/stage-records.ts'

/** What makeDurable must make crash-safe: the commits (after each part), or everything (a stage's end). */
export type DurableScope = 'commits' | 'everything'

export interface TableRef {
  readonly schema: string
  readonly name: string
}

export interface TableInfo extends TableRef {
  /** Rows as the catalog estimates them (exact counts come from dump and checksum). */
  readonly estimatedRows: number
  readonly bytes: number
  readonly primaryKey: readonly string[]
}

/** Row count and an order-independent digest of every row's canonical text. */
export interface TableChecksum {
  readonly rows: number
  readonly digest: string
}

export interface SequenceValue {
  readonly schema: string
  readonly name: string
  readonly lastValue: string
  readonly isCalled: boolean
  /**
   * The sequence's definition as the engine spells it (PostgreSQL: type, start, increment,
   * bounds, cache, cycle; a MariaDB sequence's the same); none for an AUTO_INCREMENT counter.
   * Verification compares it with the value.
   */
  readonly options?: string
}

/** A sequence a column owns whose next value is not above the column's largest value (pipeline/stages/verify/sequence-check.ts). */
export interface SequenceBehind {
  readonly sequence: string
  readonly column: string
  /** The value nextval() would hand out next, and the column's largest. */
  readonly next: string
  readonly max: string
  /** The statement that sets the sequence past max. */
  readonly fix: string
}

export interface ServerInfo {
  readonly version: string
  readonly major: number
}

/** Pre-flight checks as `--plan` prints them and `preflight()` (pipeline/safety/preflight) decides on. */
export type CheckStatus = 'ok' | 'warn' | 'fail'

export interface PreflightCheck {
  /** Stable id, e.g. `source.connect`, `source.privileges`, `disk.run-dir`. */
  readonly id: string
  /** What was checked, one line. */
  readonly title: string
  readonly status: CheckStatus
  /** What was found. */
  readonly detail: string
  /** warn/fail: the DrydockError code a failure raises, and what to do. */
  readonly code?: ErrorCode
  readonly hint?: string
}

/** What a run will ask of the servers, for a driver's own checks (privileges, settings, binaries). */
export interface PreflightNeeds {
  readonly source: Endpoint
  readonly sourceInfo: ServerInfo
  readonly staging: Endpoint | 'ephemeral'
  readonly target: Endpoint | 'in-place'
  readonly schemas?: readonly string[]
  /** Databases that must not exist yet on the server that gets them (shadow, backup of this run). */
  readonly freeNames: readonly string[]
  /** Parallel workers: sessions the run opens on each server. */
  readonly jobs: number
  /** Config `replicas` (pipeline/replication): the ones to load directly need binary-log rights there. */
  readonly replicas?: readonly { readonly endpoint: Endpoint; readonly load: 'direct' | 'replicated' }[]
}

/**
 * A part of a table's rows, so that one big table is dumped, loaded and checksummed by several
 * workers, and a failure costs one part. `key`: rows with `from <= column < to` of a single-column
 * integer primary key (decimal strings; null is unbounded, so the first and last parts also take
 * keys outside the planned bounds). `pages`: PostgreSQL rows whose ctid lies on heap pages
 * `[from, to)` (null: to the end), for tables without such a key.
 */
export type PartRange =
  | { readonly kind: 'key'; readonly column: string; readonly from: string | null; readonly to: string | null }
  | { readonly kind: 'pages'; readonly from: number; readonly to: number | null }

/** How a table can be split: its integer key's bounds, or (PostgreSQL) its heap pages. */
export type PartBasis =
  | { readonly kind: 'key'; readonly column: string; readonly min: string; readonly max: string }
  | { readonly kind: 'pages'; readonly pages: number }

export interface WriteOptions {
  /**
   * Runs after the last row is sent, with the count the server took; may throw to roll the
   * whole load back (integrity checks).
   */
  beforeCommit?: (rows: number) => Promise<void> | void
  /**
   * Load one part of the table: nothing is truncated. With `clear`, the part's key range is
   * deleted first in the same transaction (a part that may have committed before is loaded again).
   */
  part?: { range: PartRange; clear: boolean }
  /**
   * A whole-table load empties the table with DELETE instead of TRUNCATE (a refresh of staging,
   * whose tables already have their foreign keys: TRUNCATE refuses a referenced table).
   */
  emptyWithDelete?: boolean
}

/** A table's rows as the engine's dump format; `rows()` is valid once the stream has ended. */
export interface TableReader {
  readonly stream: Readable
  rows(): number
  /**
   * Rows sent so far, for progress, where the format is not one row per line (CSV with line
   * ends inside values); absent: progress counts line ends.
   */
  liveRows?(): number
}

/**
 * A value as a row transform sees it: the server's own text output (under drydock's pinned
 * session settings) as a string, the bytes of a binary column as a Buffer, SQL NULL as null.
 * Nothing goes through a JavaScript number or Date. Engine details: pipeline/migration/transform/README.md.
 */
export type RowValue = string | Buffer | null

export interface ColumnInfo {
  readonly name: string
  /** The type as the catalog names it (`bigint`, `bytea`, `varbinary(20)`, …). */
  readonly type: string
  /** Values travel as Buffers (bytea; MySQL BINARY, VARBINARY, BLOB, geometry). */
  readonly binary: boolean
  /** Computed by the server: readable, never written. */
  readonly generated: boolean
}

export interface ReadRowsOptions {
  /** Columns to read (default: all, generated ones included). */
  columns?: readonly string[]
  /** Only rows whose integer column `key` is in `[from, to)` (decimal strings). */
  range?: { key: string; from: string; to: string }
  /** In ascending order of this integer column. */
  orderBy?: string
  /** At most this many rows. */
  limit?: number
}

/** Rows as objects; `bytes()` counts the text read so far (for MB/s). */
export interface RowReader {
  readonly stream: Readable
  bytes(): number
}

/**
 * Rows of a table between two primary keys in key order: `from` included, `to` excluded, null
 * unbounded. A key is its columns' values as the engine's text, in key column order.
 */
export interface KeySpan {
  readonly from: readonly string[] | null
  readonly to: readonly string[] | null
}

/** What a database holds: tables, their definitions and dependencies. */
export interface SessionSchema {
  inventory(schemas?: readonly string[]): Promise<TableInfo[]>
  /**
   * A digest of the schema's definitions (columns and types, defaults, constraints, indexes,
   * views): a resumed run refuses a source whose schema changed since the run began.
   */
  fingerprint(schemas?: readonly string[]): Promise<string>
  /** Per table (`schema.table`), a fingerprint of its column definitions: names, types, nullability, collation, generation. */
  definitions(schemas?: readonly string[]): Promise<Map<string, string>>
  /**
   * What decides whether a table the migration left alone can stay live instead of being copied
   * back (engines with a table-level swap): per table a digest of its whole definition (columns,
   * keys, indexes, foreign keys, triggers), foreign-key edges (`from` references `to`; `to` null
   * when it lies outside the database), and the tables views name.
   */
  tableDependencies(schemas?: readonly string[]): Promise<TableDependencies>
  /**
   * Whether the post-data section (indexes, constraints, triggers) is already in this database:
   * a run killed right after applying it in one transaction, before recording that, resumes
   * without applying it twice.
   */
  hasPostData?(schemas?: readonly string[]): Promise<boolean>
  /** The table's columns in definition order, with how their values travel as RowValues. */
  columns(table: TableRef): Promise<ColumnInfo[]>
}

/** A table's rows in and out in the dump format, whole or by parts. */
export interface SessionCopy {
  /** The table's rows (or one part of them) in the engine's dump format. */
  readTable(table: TableRef, range?: PartRange): Promise<TableReader>
  /**
   * Replaces the table's rows with the stream's, in one transaction (or, with `options.part`,
   * adds one part's rows). See WriteOptions.
   */
  writeTable(table: TableRef, source: Readable, through: Transform[], options?: WriteOptions): Promise<number>
  /**
   * How this table can be split into parts (null: it cannot, it travels whole). `pages` prefers
   * heap pages where the engine has them (cheapest scans, for checksums); `key` prefers the
   * integer key (a part can then be deleted and loaded again on its own, for copies).
   */
  partBasis(table: TableInfo, prefer?: 'key' | 'pages'): Promise<PartBasis | null>
  /** Drops the table if it exists (a refresh of staging: the table was dropped on production). */
  dropTable(table: TableRef): Promise<void>
  /** Removes every row of the table (a retried transform step starts its targets over). */
  truncate(table: TableRef): Promise<void>
  analyze(tables: readonly TableRef[]): Promise<void>
  /**
   * For the rest of the session, writes fire no triggers and check no foreign keys (a refresh
   * of staging copies production's rows as they are, into tables that already have both).
   */
  suspendChecks?(): Promise<void>
  /**
   * Engines whose sessions cannot turn triggers off (MySQL): the triggers of these tables as
   * JSON-safe definitions, to take off around a refresh of staging and put back after it.
   */
  triggersOf?(tables: readonly TableRef[]): Promise<unknown[]>
  dropTriggers?(triggers: readonly unknown[]): Promise<void>
  /** Creates them (each dropped first if it exists, so that a repeat is harmless). */
  createTriggers?(triggers: readonly unknown[]): Promise<void>
}

/** Checksums of tables, parts, key spans and materialized views, and the rows of a span (--verify --locate). */
export interface SessionChecksum {
  /** Count and digest of the table (or of one part: digests of disjoint parts add up, see addChecksums). */
  checksum(table: TableRef, range?: PartRange): Promise<TableChecksum>
  /**
   * Optional: checksums of consecutive key ranges (ascending, together covering the table, as
   * planned by splitBasis) in one scan of the table, or of the rows in `within` (heap pages):
   * one result per range, in order. Engines whose key range scans are not sequential (PostgreSQL).
   */
  checksumKeyRanges?(table: TableRef, ranges: readonly PartRange[], within?: PartRange): Promise<TableChecksum[]>
  /**
   * Optional, for locating differences (`--verify --locate`, pipeline/compare/locate-differences.ts):
   * the checksum of the rows in a span of primary-key order (`key`: the key's columns).
   */
  checksumSpan(table: TableRef, key: readonly string[], span: KeySpan): Promise<TableChecksum>
  /** Keys that cut the span's rows on this side into about `parts` runs of equal length, in key order. */
  spanBoundaries(table: TableRef, key: readonly string[], span: KeySpan, parts: number): Promise<string[][]>
  /** The span's rows in key order (at most `limit`), every column as canonical text. */
  rowsInSpan(table: TableRef, key: readonly string[], span: KeySpan, limit: number): Promise<Record<string, string | null>[]>
  /** Smallest and largest key (null when empty); throws DD_LOCATE_UNSUPPORTED unless `key` is an integer column. */
  keyBounds(table: TableRef, key: string): Promise<{ min: string | null; max: string | null }>
  /** Populated materialized views (PostgreSQL): recreated by a REFRESH, so the hops checksum them. */
  materializedViews?(schemas?: readonly string[]): Promise<TableRef[]>
  /**
   * A materialized view's checksum: of its contents, or with `asRefreshed` of what its query
   * returns now (what a REFRESH would put there).
   */
  checksumMaterializedView?(view: TableRef, asRefreshed?: boolean): Promise<TableChecksum>
}

/** Rows as values, for row transforms and expectations. */
export interface SessionRows {
  /**
   * The rows as an object-mode Readable of `Record<column, RowValue>` (exact values, see
   * RowValue), optionally only `[from, to)` of an integer key, in the order of `orderBy`.
   */
  readRows(table: TableRef, options?: ReadRowsOptions): Promise<RowReader>
  /**
   * Appends the rows of an object-mode stream (`Record<column, RowValue | bigint>`) to the
   * table in one transaction (COPY FROM / LOAD DATA), without truncating; returns the rows written.
   */
  writeRows(table: TableRef, columns: readonly ColumnInfo[], rows: Readable, counter?: (bytes: number) => void): Promise<number>
  /** Exact row count (`count(*)`). */
  rowCount(table: TableRef): Promise<number>
  /** First column of the first row of a read-only query, as the server's text (null for NULL or no row). */
  queryValue(sql: string): Promise<string | null>
}

/** What the write fence, the reference checks and the sequence checks read. */
export interface SessionSafety {
  /** Write-fence marks of these tables (pipeline/safety/fence): write counters, file/table ids, last write time. Reads only. */
  fenceMarks(tables: readonly TableRef[], options: FenceReadOptions): Promise<FenceMarks>
  /** Foreign keys with rows that reference nothing: per constraint, the count of such rows. */
  danglingReferences(schemas?: readonly string[]): Promise<{ constraint: string; table: string; rows: number }[]>
  sequences(): Promise<SequenceValue[]>
  /** Sequences a column owns that would hand out a value the column already holds (engines where that can happen). */
  sequencesBehind?(): Promise<SequenceBehind[]>
  setSequences(values: readonly SequenceValue[]): Promise<void>
}

/** One connection, used by one worker at a time: its capabilities, one interface per concern. */
export interface Session extends SessionSchema, SessionCopy, SessionChecksum, SessionRows, SessionSafety {
  close(): Promise<void>
}

export interface TableDependencies {
  readonly definitions: ReadonlyMap<string, string>
  readonly references: readonly { from: string; to: string | null }[]
  readonly inViews: ReadonlySet<string>
}

/** One consistent view of the source shared by every worker. */
export interface Snapshot {
  readonly id: string
  /** Log position at the snapshot (WAL LSN, binlog file:pos or GTID set). */
  readonly position: string
  readonly holder: Session
  worker(): Promise<Session>
  close(): Promise<void>
}

/** Held for a run's whole life so that two runs never work on one production database. */
export interface SourceLock {
  release(): Promise<void>
}

export interface EphemeralServer {
  readonly endpoint: Endpoint
  readonly dataDir: string
  readonly binaries: string
  stop(options?: { keep?: boolean }): Promise<void>
}

export type SchemaSection = 'pre-data' | 'post-data'

export interface EphemeralOptions {
  major: number
  logFile: string
  superuser: string
  /**
   * Start the server an earlier attempt of this run left in `dir` (resume): no new data
   * directory; a server of that attempt still running (its drydock was killed) is stopped first.
   */
  reuse?: boolean
  /**
   * Catalog size of the data staging will hold (production's tables): the server's cache and
   * redo/WAL are sized from it and from the memory free when it starts. A restart (`reuse`)
   * keeps the sizing of the first start. @defaultValue unknown: sized from the machine
   */
  dataBytes?: number
}

/** The server: reaching it, its tools, its errors, the pre-flight and the run lock. */
export interface DriverServer {
  readonly engine: EngineName
  probe(endpoint: Endpoint): Promise<ServerInfo>
  connect(endpoint: Endpoint): Promise<Session>
  /** Checks that the client tools the engine needs are installed, for a server of this major. */
  checkTools(server: ServerInfo): Promise<void>
  /** The server as pre-flight names it: `PostgreSQL 16.4`, `MariaDB 11.4.2-MariaDB`. */
  describeServer(server: ServerInfo): string
  /**
   * The newest major whose client tools and server binaries are both installed, for a server
   * started without a source to match (`npm run demo`); absent where any installed one will do.
   */
  newestServerMajor?(): Promise<number>
  /** Refuses sources holding what drydock cannot carry (e.g. PostgreSQL large objects). */
  checkSource?(endpoint: Endpoint, options?: { refreshMaterializedViews?: boolean }): Promise<void>
  /** The engine's own pre-flight checks: privileges, settings, free names, staging binaries. Reads only. */
  preflightChecks(needs: PreflightNeeds): Promise<PreflightCheck[]>
  /**
   * Whether a failure is worth another attempt on a new connection (connection reset or closed
   * mid-query, server restarting, lock timeout, deadlock); never auth, syntax, constraint or
   * disk-full errors. Used by pipeline/safety/faults/retry.ts.
   */
  isTransient(error: unknown): boolean
  /** Refuses (DD_SOURCE_LOCKED, naming the holder) when another run holds the source database. */
  lockSource(endpoint: Endpoint, runId: string): Promise<SourceLock>
}

/** Databases and schemas: staging, shadows and copies are created, filled with a schema, migrated, made durable. */
export interface DriverDatabases {
  databaseExists(server: Endpoint, name: string): Promise<boolean>
  /** Creates `name` on the server of `server`, with the properties of `like` when given. */
  createDatabase(server: Endpoint, name: string, like?: Endpoint): Promise<void>
  dropDatabase(server: Endpoint, name: string): Promise<void>
  /** Creates `to` as a copy of `from` on the same server (staging checkpoints); absent where the engine cannot. */
  cloneDatabase?(server: Endpoint, from: string, to: string): Promise<void>
  /** Tables that hold rows; an empty database has none. */
  isEmpty(endpoint: Endpoint): Promise<boolean>
  /** Prepares a fresh staging server so that the source's schema applies (roles, users). */
  prepareStaging(source: Session, staging: Endpoint): Promise<void>
  copySchema(from: Endpoint, to: Endpoint, section: SchemaSection, options: SchemaCopyOptions): Promise<void>
  runSqlFile(endpoint: Endpoint, file: string, logFile: string): Promise<void>
  /** Environment for migration commands: the engine's own variables plus DATABASE_URL. */
  migrationEnv(endpoint: Endpoint): Record<string, string>
  /** A throwaway server in `dir`; `superuser` is the source's user, so migrations own what they create. */
  startEphemeral(dir: string, options: EphemeralOptions): Promise<EphemeralServer>
  /**
   * Makes every commit so far on `server` survive a crash of that server (an ephemeral staging
   * server runs with lazy log flushing): called before the manifest records staging work as done.
   * `everything` (a stage's end): sequences and other non-transactional changes too, at more cost.
   */
  makeDurable(server: Endpoint, scope?: DurableScope): Promise<void>
}

/** Moving rows: the snapshot they are read in, the dump format, the checksum that proves them equal. */
export interface DriverCopy {
  /** File extension of dump files (`copy` for PostgreSQL text COPY, `csv` for MySQL). */
  readonly fileExtension: string
  /**
   * `workers`: how many times `worker()` will be called. Engines that cannot share a snapshot
   * (MySQL) open that many sessions at the snapshot's instant; PostgreSQL ignores it.
   */
  openSnapshot(endpoint: Endpoint, workers?: number): Promise<Snapshot>
  /**
   * Default part size (MiB) for copies when the config sets none; null: whole-table loads are
   * cheaper (PostgreSQL: TRUNCATE and COPY FREEZE in one transaction, no WAL on a minimally
   * logged server; parts loaded side by side cannot), so tables are copied whole unless more
   * than 2 workers can use parts (pipeline/transfer/settings.ts). @defaultValue 128
   */
  readonly copyPartMB: number | null
  /**
   * Names the checksum every hop compares (`postgres-hashtextextended-sum-v1`, `mysql-sha1-64-sum-v1`): recorded in the
   * manifest, so that checksums are only ever compared with ones made the same way.
   */
  readonly checksumAlgorithm: string
}

/** Making the copy live, and telling after a kill which side production is on. */
export interface DriverSwap {
  /** Atomically: live → backup, shadow → live. */
  swap(live: Endpoint, shadow: string, backup: string, options?: SwapOptions): Promise<SwapResult | void>
  /**
   * After a swap that may have been cut short (kill -9 between the rename and the manifest
   * write): which side of the rename production is on, read from the server. Reads only.
   */
  swapSide(live: Endpoint, shadow: string, backup: string): Promise<SwapSide>
  /**
   * The swap moves single tables, so a table the migration left unchanged can stay live and
   * need not be copied back (MySQL's RENAME TABLE; PostgreSQL swaps whole databases).
   */
  readonly keepsLiveTables: boolean
  /**
   * With kept tables: the copy's foreign keys that reference a kept table are made to reference
   * the live one (database `live`) before the swap; returns how many.
   */
  repointReferences?(copy: Endpoint, live: string, keep: readonly string[]): Promise<number>
  /**
   * A separate target: objects that stay with the live database in place and are not staged
   * (MySQL events) are copied from the source after the load; returns how many.
   */
  copyLiveOnly?(source: Endpoint, target: Endpoint): Promise<number>
  /**
   * The in-database swap (PostgreSQL): the copy is loaded into shadow schemas of the live database
   * and swapped in by renaming schemas, kept tables moving across (postgres-schema-swap.ts).
   * Absent: the engine swaps whole databases (or single tables, MySQL).
   */
  readonly schemaSwap?: SchemaSwap
}

/** What the safety nets need of the engine: the canary table and the checkpoint of staging. */
export interface DriverSafety {
  /** The canary table (pipeline/safety/canary) for a server of this major. */
  canaryTable(major: number): CanaryTable
  /** Which checkpoint staging gets after hop 1 (pipeline/stages/checkpoint). */
  checkpointKind(staging: 'ephemeral' | 'url'): CheckpointKind
}

/** Replicas: their lag (throttle), the replication log shipped (report), loading them directly. */
export interface DriverReplication {
  /**
   * Replication lag of the servers that replicate `primary` (pipeline/safety/throttle/replica-lag.ts):
   * the given `replicas`, or where the engine can see them (PostgreSQL), the primary's own
   * standbys. `seconds` null: unknown or not replaying (counts as lagging; `note` says why).
   */
  replicaLag(primary: Endpoint, replicas: readonly Endpoint[]): Promise<ReplicaLag[]>
  /**
   * Where the server's replication log stands (MySQL binlog `file:position`, PostgreSQL WAL LSN);
   * null when it has none (binary log off) or may not be read. Reads only.
   */
  logPosition(server: Endpoint): Promise<string | null>
  /** Bytes of replication log written between two `logPosition` readings; null when unknown (rotated away). */
  logBytes(server: Endpoint, from: string, to: string): Promise<number | null>
  /** Loading each replica directly instead of through replication (MySQL; pipeline/replication). */
  readonly directReplicas?: DirectReplicaLoads
}

/**
 * Everything stage code may ask of a database engine, one capability interface per concern
 * (drivers/README.md). Stage code never imports a driver library.
 */
export interface Driver extends DriverServer, DriverDatabases, DriverCopy, DriverSwap, DriverSafety, DriverReplication {}

/**
 * What a direct load of replicas needs of an engine: the copy is written on the primary and on
 * each replica with the replication log off for its sessions, so no row reaches the log, while
 * the swap's statements replicate as usual and every server ends the same.
 */
export interface DirectReplicaLoads {
  /** Every session of this process on `database` of `server` (its creation included) skips the log; throws when the account may not. */
  skipLog(server: Endpoint, database: string): Promise<void>
  /** Sessions reading the primary's log (replicas, CDC); null when it cannot tell. */
  logReaders(primary: Endpoint): Promise<number | null>
  /** Why drydock cannot write `database` on this replica without the log (undefined: it can); drops a copy left there. */
  probe(replica: Endpoint, database: string): Promise<string | undefined>
  /** Waits until the replica has applied the primary's log up to where it stands now. */
  catchUp(primary: Endpoint, replica: Endpoint, timeoutSeconds: number): Promise<void>
}

/** One replica's lag as `Driver.replicaLag` reads it; `replica` never holds a password. */
export interface ReplicaLag {
  readonly replica: string
  readonly seconds: number | null
  /** What the figure rests on or why it is unknown (`SQL thread stopped`, `replay paused`). */
  readonly note?: string
}

/** A binding that stops a table from staying live across a schema swap, unless `unlessKept` stays live too. */
export interface KeepBinding {
  readonly table: string
  readonly reason: string
  readonly unlessKept: string | null
}

export interface SchemaSwapCheck {
  /** The schemas the swap would move. */
  readonly schemas: readonly string[]
  /** Why the whole database must be swapped instead; empty: a schema swap carries the migration. */
  readonly blockers: readonly string[]
}

/** One schema of a schema swap: `schema` is renamed to `outgoing`, `incoming` to `schema`. */
export interface SchemaMove {
  readonly schema: string
  readonly incoming: string
  readonly outgoing: string
}

export interface SchemaSwapPlan {
  readonly moves: readonly SchemaMove[]
  /** Tables that stay live: they move from the live schema into the incoming one, unchanged. */
  readonly keep: readonly TableRef[]
  /** What the swap this one undoes parked (SchemaSwapResult.parked), to put back. */
  readonly restore?: readonly unknown[]
  /**
   * Called inside the swap's transaction once everything is locked, before anything changes: what
   * it is about to park and the kept tables' storage files, so that a kill after the commit loses
   * neither (the caller records them with the swap's intent).
   */
  readonly beforeChange?: (parked: readonly unknown[], files: Readonly<Record<string, string>>) => Promise<void>
}

export interface SchemaSwapResult {
  readonly parked: readonly unknown[]
  /** Per kept table (`schema.table`): its storage file before and after (equal: the same table, not a copy). */
  readonly files: Readonly<Record<string, { before: string; after: string }>>
}

export interface SchemaSwap {
  /** Whether the migration can go live by a schema swap, and of which schemas. Reads production and staging. */
  check(live: Endpoint, staging: Endpoint, schemas?: readonly string[]): Promise<SchemaSwapCheck>
  /** Read on migrated staging: what binds tables to objects the swap replaces (KeepBinding). */
  bindings(staging: Endpoint, schemas: readonly string[]): Promise<KeepBinding[]>
  /** After the copy is loaded, before the swap: the copy's views and keys reach the live kept tables. */
  attachKept(copy: Endpoint, kept: readonly TableRef[]): Promise<{ keys: number; views: number }>
  swap(live: Endpoint, plan: SchemaSwapPlan): Promise<SchemaSwapResult>
  /** Which side of the swap production is on, read from the server. */
  side(live: Endpoint, plan: SchemaSwapPlan): Promise<SwapSide>
  /**
   * Staging's schemas carry the shadow names while pg_dump reads them (`map`: schema → shadow);
   * renames back any an attempt killed in between left so. Idempotent.
   */
  repairStaging(staging: Endpoint, map: Readonly<Record<string, string>>): Promise<void>
  /** Drops these (drydock's) schemas with their contents; refuses when objects outside use them. */
  dropSchemas(live: Endpoint, schemas: readonly string[]): Promise<void>
}

export interface SwapOptions {
  /** Tables (by name) that stay live as they are and are not moved either way (`keepsLiveTables`). */
  keep?: readonly string[]
  /** What an earlier swap's result parked (SwapResult.parked), to put back on the tables coming live. */
  restore?: readonly unknown[]
}

export interface SwapSide {
  readonly swapped: boolean
  /** What the cut-short swap left undone, for the operator. */
  readonly note?: string
}

export interface SwapResult {
  /** Engine data to hand back to the swap that undoes this one (kept in the manifest). */
  parked?: readonly unknown[]
}

export interface SchemaCopyOptions {
  snapshot?: string
  schemas?: readonly string[]
  /** Where the schema SQL is kept (in the run directory) for audit. */
  /** Only these tables (and what belongs to them: indexes, constraints, triggers, owned sequences). */
  tables?: readonly TableRef[]
  saveAs: string
  logFile: string
  /**
   * Connections the post-data section may use at once (indexes built side by side, then
   * foreign keys). 1 (the default) applies it in one transaction.
   */
  jobs?: number
  /**
   * Schema swap (`to.schemaMap`): tables that stay live; the copy's foreign keys to them reference
   * the live table instead of its empty twin in the shadow schema.
   */
  liveReferences?: readonly TableRef[]
}
