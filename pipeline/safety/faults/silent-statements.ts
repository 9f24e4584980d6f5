/**
 * Statements that send nothing until they finish (a checksum scan, CREATE INDEX, ALTER TABLE
 * ADD INDEX) are cut by a proxy that drops idle connections once they run longer than its
 * timeout, whatever keep-alive does (issue 11 item 3). Checksums are split into parts sized
 * against the idle limit; index builds cannot be split, so the plan and pre-flight name the
 * longest one with an estimate and warn when it exceeds the limit.
 */
import type { PreflightCheck, TableInfo } from '../../drivers/driver.ts'
import { formatBytes, formatSeconds } from '../../util/files.ts'

/**
 * Rates assumed for a production server, bytes of catalog size per second: about a third (checksums,
 * MariaDB) and a quarter (index builds) of what this project's 2-core test machine measured on a
 * 75 MB table with warm caches (PostgreSQL 640 / MariaDB 158 MB/s checksum, 84 / 112 MB/s
 * index build): cold caches and a busy disk are slower.
 */
export const CHECKSUM_BYTES_PER_SECOND = 50e6
export const INDEX_BUILD_BYTES_PER_SECOND = 20e6

/** Up to this many checksum parts per table when the idle limit asks for small ones. */
export const MAX_IDLE_BOUND_PARTS = 4096

/** The largest checksum part whose scan stays under half the idle limit. */
export function idleBoundPartBytes(idleLimitSeconds: number): number {
  return Math.floor((idleLimitSeconds / 2) * CHECKSUM_BYTES_PER_SECOND)
}

export interface SilentStatement {
  readonly what: string
  readonly seconds: number
}

/** The biggest index build where the copy is loaded back (production's server), or none. */
export function longestIndexBuild(tables: readonly TableInfo[], where: string): SilentStatement | undefined {
  const biggest = [...tables].sort((a, b) => b.bytes - a.bytes)[0]
  if (!biggest) return undefined
  return {
    what: `index builds on the ${where}: the biggest table, ${biggest.schema}.${biggest.name} (${formatBytes(biggest.bytes)} at about ${INDEX_BUILD_BYTES_PER_SECOND / 1e6} MB/s)`,
    seconds: biggest.bytes / INDEX_BUILD_BYTES_PER_SECOND,
  }
}

/** The pre-flight line "longest expected silent statement", a warning when it exceeds the limit. */
export function silentStatementCheck(tables: readonly TableInfo[], where: string, idleLimitSeconds: number): PreflightCheck {
  const title = 'longest expected silent statement'
  const build = longestIndexBuild(tables, where)
  const limit = `idle limit ${formatSeconds(idleLimitSeconds * 1000)}`
  if (!build) return { id: 'source.silent-statement', title, status: 'ok', detail: `no table to index; ${limit}` }
  const detail = `${build.what}, about ${formatSeconds(build.seconds * 1000)}; checksums split into parts under half the limit; ${limit}`
  if (build.seconds <= idleLimitSeconds) return { id: 'source.silent-statement', title, status: 'ok', detail }
  return {
    id: 'source.silent-statement', title, status: 'warn', detail: `${detail}: a proxy that cuts idle connections at the limit would cut it`,
    code: 'DD_PREFLIGHT_SILENT_STATEMENT',
    hint: 'CREATE INDEX sends nothing until it ends: raise the idle timeout of the proxies on the way to production for the window (then set idleLimitSeconds / --idle-limit to it), or connect drydock to production without them',
  }
}
