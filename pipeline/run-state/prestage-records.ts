import type { PartRange, TableChecksum } from '../drivers/driver.ts'

/**
 * One refresh part of a table: a key range (or the whole table when it has no single integer
 * key) and its rows' checksum as staging holds them. `dirty`: a refresh is copying it again
 * right now; a resume copies it again whatever production's checksum says.
 */
export interface RefreshPart {
  readonly range?: PartRange
  sum: TableChecksum
  dirty?: boolean
}

/** What `--prestage` leaves for the refresh (Manifest.prestage). */
export interface PrestageRecord {
  /** `prestaged`: stopped after hop 1, waiting for the window; `refreshed`: the refresh ran. */
  status: 'prestaged' | 'refreshed'
  at: string
  /** The prestaged snapshot (Manifest.snapshot becomes the refresh's). */
  snapshot: { id: string; position: string; takenAt: string; fingerprint?: string }
  /** Per table (`schema.table`), the fingerprint of its column definitions and key on production. */
  definitions: Record<string, string>
  /** Per carried table, its refresh parts (they cover the table, disjoint). */
  parts: Record<string, RefreshPart[]>
  ms: number
}

export type RefreshAction = 'ranges' | 'whole' | 'created' | 'dropped'

/** One table the refresh changed on staging, and why. */
export interface RefreshedTable {
  readonly table: string
  readonly action: RefreshAction
  readonly reason: string
  /** Parts copied again, of how many. */
  readonly parts: number
  readonly ofParts: number
  readonly rows: number
  readonly ms: number
}

/** Manifest.refresh: the window's first stage. */
export interface RefreshRecord {
  startedAt: string
  finishedAt?: string
  ms?: number
  snapshot?: { id: string; position: string; takenAt: string }
  /** Parts compared, and how many of them were copied again. */
  partsChecked?: number
  partsCopied?: number
  rowsCopied?: number
  tables: RefreshedTable[]
  /** MySQL: staging's triggers taken off for the copies (put back at the end, also by a resume). */
  suspendedTriggers?: unknown[]
}
