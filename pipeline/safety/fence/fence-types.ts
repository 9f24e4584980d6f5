/** What a driver reads for the write fence (pipeline/safety/fence/fence.ts compares two readings). */
import type { EngineName } from '../../config/endpoint.ts'

export interface TableMarks {
  /** The table is in the catalog. */
  readonly exists: boolean
  /** Values any write (or TRUNCATE, or a rebuild) changes: they must be equal at the check. */
  readonly exact: Readonly<Record<string, string | null>>
  /** Values writes change, but that may also change without one (statistics recalculated): a change is uncertain. */
  readonly soft?: Readonly<Record<string, string | null>>
  /** Write counters (decimal strings) that only grow; one lower at the check means statistics were reset. */
  readonly counters: Readonly<Record<string, string>>
  /**
   * The last write's time in whole seconds, server clock, `YYYY-MM-DD HH:MM:SS` (MySQL
   * UPDATE_TIME); null when the server does not know it. A later reading that differs, or is
   * at or after the second of the fence's own reading, is a write.
   */
  readonly lastWrite?: string | null
  /** Why marks cannot prove this table unchanged (then only a checksum can). */
  readonly uncertain?: string
}

export interface FenceMarks {
  readonly engine: EngineName
  /** The server's clock at the reading, `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC). */
  readonly at: string
  /** Seconds since the server started: a restart between two readings voids in-memory marks. */
  readonly uptimeSeconds: number
  /** Changes when the write counters restart (PostgreSQL statistics reset): counters prove nothing across it. */
  readonly epoch: string
  /** WAL LSN or binlog position and GTID: information only (other databases move it too). */
  readonly position: string
  /** Keyed by `schema.table` (TableRef). */
  readonly tables: Readonly<Record<string, TableMarks>>
  /** Every table of the fenced schemas (to notice tables created in the window). */
  readonly allTables: readonly string[]
  /** Why no table can be proven by marks at this reading (statistics off, writers still connected). */
  readonly uncertain?: string
  /** What the operator may want to know (e.g. sessions waited for). */
  readonly notes: readonly string[]
}

export interface FenceReadOptions {
  /** 'take' before the snapshot, 'check' before the swap (they settle differently). */
  readonly phase: 'take' | 'check'
  /** Longest wait for other sessions' statistics to reach the server's counters. @defaultValue 11000 */
  readonly settleMs?: number
  readonly schemas?: readonly string[]
}
