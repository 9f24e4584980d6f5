import type { Readable, Transform } from 'node:stream'
import type { Endpoint, EngineName } from '../endpoint.ts'

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
}

export interface ServerInfo {
  readonly version: string
  readonly major: number
}

/** A table's rows as the engine's dump format; `rows()` is valid once the stream has ended. */
export interface TableReader {
  readonly stream: Readable
  rows(): number
}

/** One connection, used by one worker at a time. */
export interface Session {
  inventory(schemas?: readonly string[]): Promise<TableInfo[]>
  readTable(table: TableRef): Promise<TableReader>
  /**
   * Replaces the table's rows with the stream's, in one transaction. `beforeCommit` runs after
   * the last row is sent and may throw to roll the whole load back (integrity checks).
   */
  writeTable(table: TableRef, source: Readable, through: Transform[], beforeCommit?: () => Promise<void> | void): Promise<number>
  checksum(table: TableRef): Promise<TableChecksum>
  /**
   * Optional, for locating differences (`--verify --locate`): the same checksum over the rows
   * whose single-column integer key is in `[from, to)`; keys are decimal strings.
   */
  checksumRange?(table: TableRef, key: string, from: string, to: string): Promise<TableChecksum>
  /** Smallest and largest key (null when empty); throws DD_LOCATE_UNSUPPORTED unless `key` is an integer column. */
  keyBounds?(table: TableRef, key: string): Promise<{ min: string | null; max: string | null }>
  /** Rows with key in `[from, to)` in key order, every column as the engine's canonical text. */
  rowsInRange?(table: TableRef, key: string, from: string, to: string, limit: number): Promise<Record<string, string | null>[]>
  sequences(): Promise<SequenceValue[]>
  setSequences(values: readonly SequenceValue[]): Promise<void>
  analyze(tables: readonly TableRef[]): Promise<void>
  close(): Promise<void>
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

export interface EphemeralServer {
  readonly endpoint: Endpoint
  readonly dataDir: string
  readonly binaries: string
  stop(options?: { keep?: boolean }): Promise<void>
}

export type SchemaSection = 'pre-data' | 'post-data'

/** Everything stage code may ask of a database engine. Stage code never imports a driver library. */
export interface Driver {
  readonly engine: EngineName
  /** File extension of dump files (`copy` for PostgreSQL text COPY, `csv` for MySQL). */
  readonly fileExtension: string
  probe(endpoint: Endpoint): Promise<ServerInfo>
  connect(endpoint: Endpoint): Promise<Session>
  /**
   * `workers`: how many times `worker()` will be called. Engines that cannot share a snapshot
   * (MySQL) open that many sessions at the snapshot's instant; PostgreSQL ignores it.
   */
  openSnapshot(endpoint: Endpoint, workers?: number): Promise<Snapshot>
  /** Refuses sources holding what drydock cannot carry (e.g. PostgreSQL large objects). */
  checkSource?(endpoint: Endpoint): Promise<void>
  /** Checks that the client tools the engine needs are installed, for a server of this major. */
  checkTools(server: ServerInfo): Promise<void>
  databaseExists(server: Endpoint, name: string): Promise<boolean>
  /** Creates `name` on the server of `server`, with the properties of `like` when given. */
  createDatabase(server: Endpoint, name: string, like?: Endpoint): Promise<void>
  dropDatabase(server: Endpoint, name: string): Promise<void>
  /** Tables that hold rows; an empty database has none. */
  isEmpty(endpoint: Endpoint): Promise<boolean>
  /** Prepares a fresh staging server so that the source's schema applies (roles, users). */
  prepareStaging(source: Session, staging: Endpoint): Promise<void>
  copySchema(from: Endpoint, to: Endpoint, section: SchemaSection, options: SchemaCopyOptions): Promise<void>
  runSqlFile(endpoint: Endpoint, file: string, logFile: string): Promise<void>
  /** Environment for migration commands: the engine's own variables plus DATABASE_URL. */
  migrationEnv(endpoint: Endpoint): Record<string, string>
  /** A throwaway server in `dir`; `superuser` is the source's user, so migrations own what they create. */
  startEphemeral(dir: string, options: { major: number; logFile: string; superuser: string }): Promise<EphemeralServer>
  /** Atomically: live → backup, shadow → live. */
  swap(live: Endpoint, shadow: string, backup: string): Promise<void>
}

export interface SchemaCopyOptions {
  snapshot?: string
  schemas?: readonly string[]
  /** Where the schema SQL is kept (in the run directory) for audit. */
  saveAs: string
  logFile: string
}
