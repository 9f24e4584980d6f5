/** Pre-flight checks as `--plan` prints them and `preflight()` decides on. */
import type { ServerInfo } from '../../drivers/driver.ts'
import type { Endpoint } from '../../config/endpoint.ts'
import type { ErrorCode } from '../../error-codes.ts'

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
