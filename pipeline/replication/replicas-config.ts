import { type EngineName, type Endpoint, parseEndpoint } from '../config/endpoint.ts'
import { engineFacts } from '../drivers/engines.ts'

/** One entry of config `replicas` (see README "Replicas"). */
export interface ReplicaConfig {
  /**
   * The replica as a database URL drydock may write to (MySQL/MariaDB: an account that may set
   * sql_log_bin and write despite read_only). Its lag is watched too when the load is replicated.
   */
  url: string
  /**
   * `direct`: the copy is loaded into the replica itself, beside the primary's, with the binary
   * log off, so no row event is replicated; only the swap's statements are. `replicated`: the
   * replica receives the rows through replication (binlogged load, lag throttle). PostgreSQL
   * physical standbys can only be `replicated`.
   * @defaultValue 'direct' on MySQL/MariaDB, 'replicated' on PostgreSQL
   */
  load?: 'direct' | 'replicated'
}

export interface ReplicaSetting {
  readonly endpoint: Endpoint
  readonly load: 'direct' | 'replicated'
}

const LOADS = ['direct', 'replicated']

/** Validates config `replicas`; problems go to `problems`, one line each. */
export function parseReplicas(value: unknown, engine: EngineName | undefined, problems: string[]): readonly ReplicaSetting[] {
  if (value === undefined) return Object.freeze([])
  if (!Array.isArray(value)) {
    problems.push(`Invalid option replicas: expected a list of { url, load? }, got ${JSON.stringify(value)}`)
    return Object.freeze([])
  }
  const out: ReplicaSetting[] = []
  value.forEach((entry: unknown, i) => {
    const key = `replicas[${i}]`
    const given = typeof entry === 'string' ? { url: entry } : entry
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      problems.push(`Invalid option ${key}: expected { url, load? } or a database URL, got ${JSON.stringify(entry)}`)
      return
    }
    const r = given as Record<string, unknown>
    for (const k of Object.keys(r)) if (k !== 'url' && k !== 'load') problems.push(`Unknown option ${key}.${k}: expected url or load`)
    if (typeof r.url !== 'string' || r.url.trim() === '') {
      problems.push(`Missing option ${key}.url: expected a database URL`)
      return
    }
    let endpoint: Endpoint
    try {
      endpoint = parseEndpoint(r.url, `${key}.url`)
    } catch (error) {
      problems.push((error as Error).message)
      return
    }
    if (engine && endpoint.engine !== engine) problems.push(`Invalid option ${key}.url: must be the same engine as source (${engine}), got ${endpoint.engine}`)
    const { defaultLoad, noDirectLoad } = engineFacts(endpoint.engine).replication
    const load = r.load ?? defaultLoad
    if (!LOADS.includes(load as string)) {
      problems.push(`Invalid option ${key}.load: expected "direct" or "replicated", got ${JSON.stringify(r.load)}`)
      return
    }
    if (load === 'direct' && noDirectLoad) {
      problems.push(`Invalid option ${key}.load: ${noDirectLoad}`)
      return
    }
    out.push(Object.freeze({ endpoint, load: load as 'direct' | 'replicated' }))
  })
  return Object.freeze(out)
}
