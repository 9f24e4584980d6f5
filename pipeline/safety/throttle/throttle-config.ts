import { type EngineName, type Endpoint, parseEndpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { parseLagSeconds, parseRate } from './parse-rate.ts'

/** Config key `throttle`: how hard the load into production may push (see README "Throttle"). */
export interface ThrottleConfig {
  /**
   * Bytes per second for all streams of the load together: `'50MB/s'`, `'800KB/s'`, or a number
   * of bytes. `--max-rate` overrides it. @defaultValue no limit
   */
  maxRate?: string | number
  /**
   * Seconds of replica lag above which the load pauses until the replicas catch up.
   * `--max-replica-lag` overrides it. @defaultValue lag not watched
   */
  maxReplicaLag?: number
  /**
   * Replica URLs whose lag is read on the replica itself. PostgreSQL: default every physical
   * standby streaming from the primary; MySQL/MariaDB: required to watch lag.
   * @defaultValue []
   */
  replicas?: string[]
}

export interface ThrottleSettings {
  /** Bytes per second. */
  readonly maxRate?: number
  /** Seconds. */
  readonly maxReplicaLag?: number
  readonly replicas: readonly Endpoint[]
}

const KEYS = ['maxRate', 'maxReplicaLag', 'replicas']

function fail(message: string): never {
  throw new DrydockError('DD_CONFIG_INVALID', message)
}

/** Validates config `throttle`; problems go to `problems`, one line each, like the other keys. */
export function parseThrottle(value: unknown, engine: EngineName | undefined, problems: string[]): ThrottleSettings {
  if (value === undefined) return Object.freeze({ replicas: Object.freeze([]) })
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`Invalid option throttle: expected { maxRate?, maxReplicaLag?, replicas? }, got ${JSON.stringify(value)}`)
    return Object.freeze({ replicas: Object.freeze([]) })
  }
  const t = value as Record<string, unknown>
  for (const key of Object.keys(t)) if (!KEYS.includes(key)) problems.push(`Unknown option throttle.${key}: expected one of ${KEYS.join(', ')}`)
  const rate = t.maxRate === undefined ? undefined : parseRate(t.maxRate)
  if (rate && 'error' in rate) problems.push(`Invalid option throttle.maxRate: ${rate.error}`)
  const lag = t.maxReplicaLag === undefined ? undefined : parseLagSeconds(t.maxReplicaLag)
  if (lag && 'error' in lag) problems.push(`Invalid option throttle.maxReplicaLag: ${lag.error}`)
  const replicas: Endpoint[] = []
  if (t.replicas !== undefined && (!Array.isArray(t.replicas) || t.replicas.some((r) => typeof r !== 'string'))) {
    problems.push(`Invalid option throttle.replicas: expected a list of database URLs, got ${JSON.stringify(t.replicas)}`)
  } else {
    ((t.replicas ?? []) as string[]).forEach((url, i) => {
      try {
        const replica = parseEndpoint(url, `throttle.replicas[${i}]`)
        if (engine && replica.engine !== engine) fail(`Invalid option throttle.replicas[${i}]: must be the same engine as source (${engine}), got ${replica.engine}`)
        replicas.push(replica)
      } catch (error) {
        problems.push((error as Error).message)
      }
    })
  }
  return Object.freeze({
    ...(rate && 'bytesPerSecond' in rate ? { maxRate: rate.bytesPerSecond } : {}),
    ...(lag && 'seconds' in lag ? { maxReplicaLag: lag.seconds } : {}),
    replicas: Object.freeze(replicas),
  })
}

/** `--max-rate` / `--max-replica-lag` as given: a value, or `off` to drop the config's limit. */
export interface ThrottleFlags {
  maxRate?: string
  maxReplicaLag?: string
}

/**
 * The flags checked and turned into settings overrides (`null`: off); an error line naming the
 * flag, for exit code 2, when a value is wrong.
 */
export function parseThrottleFlags(flags: ThrottleFlags): { maxRate?: number | null; maxReplicaLag?: number | null } | { error: string } {
  const out: { maxRate?: number | null; maxReplicaLag?: number | null } = {}
  if (flags.maxRate !== undefined) {
    const rate = flags.maxRate === 'off' ? { bytesPerSecond: null } : parseRate(flags.maxRate)
    if ('error' in rate) return { error: `Invalid option --max-rate: ${rate.error} (or "off")` }
    out.maxRate = rate.bytesPerSecond
  }
  if (flags.maxReplicaLag !== undefined) {
    const lag = flags.maxReplicaLag === 'off' ? { seconds: null } : parseLagSeconds(flags.maxReplicaLag)
    if ('error' in lag) return { error: `Invalid option --max-replica-lag: ${lag.error} (or "off")` }
    out.maxReplicaLag = lag.seconds
  }
  return out
}

/** The config's throttle with the flags applied (flag > config file > no limit). */
export function withThrottleFlags<C extends { readonly throttle?: ThrottleSettings }>(
  config: C, overrides: { maxRate?: number | null; maxReplicaLag?: number | null },
): C {
  if (overrides.maxRate === undefined && overrides.maxReplicaLag === undefined) return config
  const { maxRate, maxReplicaLag, replicas } = config.throttle ?? { replicas: [] }
  const rate = overrides.maxRate === undefined ? maxRate : overrides.maxRate ?? undefined
  const lag = overrides.maxReplicaLag === undefined ? maxReplicaLag : overrides.maxReplicaLag ?? undefined
  const throttle: ThrottleSettings = Object.freeze({
    ...(rate !== undefined ? { maxRate: rate } : {}), ...(lag !== undefined ? { maxReplicaLag: lag } : {}), replicas,
  })
  return Object.freeze({ ...config, throttle })
}
