import type { Fence } from './check-records.ts'

/** One configured replica in the manifest's `replication` (never with a password). */
export interface ReplicaRecord {
  readonly replica: string
  /**
   * `direct`: its copy was loaded into it directly, without the binary log; `replicated`: it
   * received the rows through replication; `not loaded`: nothing was loaded (rehearsal, no log).
   */
  load: 'direct' | 'replicated' | 'not loaded'
  /** Why it was not loaded directly. */
  reason?: string
  /** Replicated with replicas listed: whether the lag throttle could read its lag (false: see the log). */
  lagWatched?: boolean
  /** Direct: hop 2 proved its copy equal to migrated staging. */
  verified?: boolean
  /** Direct: its copy's write marks before hop 2's checksums, checked before the swap. */
  fence?: Fence
  /** Direct, after the swap: it applied the swap and replication runs (false: see the log). */
  followedSwap?: boolean
}

/**
 * Manifest `replication`: the replication cost of the load back and the swap on production, and
 * how each replica got its copy (pipeline/replication).
 */
export interface ReplicationRecord {
  /** The replication log of the server loaded: MySQL binary log, PostgreSQL WAL, or none (binary log off). */
  log: 'binlog' | 'wal' | 'none'
  /** `direct`: no row went through the log; `replicated`: the rows did (binlogged load, lag throttle); `none`: no log. */
  load: 'direct' | 'replicated' | 'none'
  /** Why the load went through the log although replicas were listed for a direct load. */
  reason?: string
  /** Log positions (binlog `file:pos`, WAL LSN) at the start of the load back, its end, and after the swap. */
  positions: { loadback?: string; loadbackEnd?: string; swapEnd?: string }
  /** Bytes of log written during the load back, from its end through the swap, and both; null: unknown. */
  bytes: { loadback: number | null; swap: number | null; total: number | null }
  replicas: ReplicaRecord[]
}
