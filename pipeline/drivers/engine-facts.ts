/**
 * What the code outside drivers/ needs to know of an engine before (or without) asking its
 * driver: plain data, one object per engine (`<engine>/<engine>-facts.ts`), listed in engines.ts.
 * Config parsing reads these, so they import nothing of a driver.
 */
export interface EngineFacts {
  /** URL schemes that name the engine (`postgres://`, `mariadb://`, …). */
  readonly schemes: readonly string[]
  readonly defaultPort: number
  /** The server as progress lines name it: "starting an ephemeral PostgreSQL 16 server". */
  readonly product: string
  /** The environment the engine's own clients read for what a URL leaves out. */
  readonly env: { readonly user: string; readonly password: string }
  /** The user when neither the URL nor the environment names one. */
  readonly defaultUser: string
  /** A database every server has, to reach a server whose database does not exist yet. */
  readonly adminDatabase: string
  /**
   * A table's schema is its database (MySQL): databases of different names hold the same
   * tables, so tables and sequences are matched by name alone.
   */
  readonly tablesByDatabase: boolean
  /** How the driver's dump files encode rows: PostgreSQL COPY text, or drydock's quoted CSV. */
  readonly dumpFormat: 'copy-text' | 'csv'
  readonly replication: ReplicationFacts
  /** The superuser of `npm run demo`'s throwaway production server (the fixtures' owner). */
  readonly demoSuperuser: string
  /**
   * `--plan` before any rehearsal: each copying stage's time as a multiple of reading the carried
   * data at the read sample's rate (pipeline/plan/sample-rate.ts: one worker per job, in the dump
   * format and through its hash), measured on the Patchwork fixture with bench/plan-accuracy.ts.
   * `loadback` and `hop` (each hop) are for every table copied.
   */
  readonly roughPlan: { readonly dump: number; readonly load: number; readonly hop: number; readonly loadback: number }
}

export interface ReplicationFacts {
  /** The log that carries writes to replicas, as the manifest records it. */
  readonly log: 'wal' | 'binlog'
  /** The log can be off on a primary (MySQL's binary log): then nothing replicates. */
  readonly logMayBeOff: boolean
  /** How config `replicas` get the copy when `load` is not given. */
  readonly defaultLoad: 'direct' | 'replicated'
  /** Why a replica cannot be loaded directly, when it cannot (a PostgreSQL standby). */
  readonly noDirectLoad?: string
  /** What the report says of each replica that replays the log, when there is more to say. */
  readonly replayNote?: string
  /** Said when the throttle finds no replica to watch: where replicas come from. */
  readonly noReplicaHint: string
}
