/** What the manifest keeps per table: its parts' files on each hop and their checksums. */
import type { PartRange, TableChecksum } from '../drivers/driver.ts'

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

/** One part of a table (pipeline/transfer): its own file, row count and hash. */
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
