import { DrydockError } from '../errors.ts'
import { redactUrls } from '../util/redact.ts'
import { engineFacts, engineOfScheme, type EngineName } from '../drivers/engines.ts'

export type { EngineName }

/** A database to connect to. The password, when known, lives only here and in child env. */
export interface Endpoint {
  readonly engine: EngineName
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password?: string
  readonly database: string
  /** Extra URL query parameters (sslmode, …), passed to the driver as they are. */
  readonly params: Readonly<Record<string, string>>
  /**
   * Where tables of a schema live on this endpoint when it is not their own name: a table of
   * schema `k` is in schema `schemaMap[k]` here (the shadow schemas of PostgreSQL's in-database
   * swap). Table refs keep the names staging and production use; the driver maps them.
   */
  readonly schemaMap?: Readonly<Record<string, string>>
}

export const URL_FORMS = 'postgres://user[:password]@host[:port]/database or mysql://user[:password]@host[:port]/database'

/**
 * Parses a database URL. `key` names the config key in the error (`source`, `staging`, …).
 * A missing password falls back to the engine's environment (PGPASSWORD, .pgpass, MYSQL_PWD).
 */
export function parseEndpoint(url: string, key: string): Endpoint {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidUrl(key, url)
  }
  const engine = engineOfScheme(parsed.protocol.replace(/:$/, ''))
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  if (!engine || !parsed.hostname || !database || database.includes('/')) throw invalidUrl(key, url)
  const params: Record<string, string> = {}
  parsed.searchParams.forEach((value, name) => { params[name] = value })
  const facts = engineFacts(engine)
  const envUser = process.env[facts.env.user]
  const envPassword = process.env[facts.env.password]
  const password = parsed.password ? decodeURIComponent(parsed.password) : envPassword
  return Object.freeze({
    engine,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : facts.defaultPort,
    user: decodeURIComponent(parsed.username) || envUser || facts.defaultUser,
    ...(password ? { password } : {}),
    database,
    params: Object.freeze(params),
  })
}

function invalidUrl(key: string, url: string): DrydockError {
  // A password with @ / ? # in it breaks the URL, and the redacted URL shown then looks right.
  const password = /^[a-z]+:\/\/[^@]*:.*@/i.test(url)
    ? '; if the password holds any of @ : / ? # % or spaces, percent-encode them in the URL (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25), or leave the password out of the URL and set PGPASSWORD (PostgreSQL) or MYSQL_PWD (MySQL, MariaDB)'
    : ''
  return new DrydockError(
    'DD_CONFIG_INVALID',
    `Invalid option ${key}: expected a database URL like ${URL_FORMS}, got "${redactUrl(url)}"${password}`,
    { stage: 'config', hint: `fix "${key}" in the config file` },
  )
}

/** The URL with its password, for drivers and child processes only. */
export function endpointUrl(ep: Endpoint, database = ep.database): string {
  const auth = encodeURIComponent(ep.user) + (ep.password ? `:${encodeURIComponent(ep.password)}` : '')
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host
  const query = new URLSearchParams(ep.params).toString()
  return `${ep.engine}://${auth}@${host}:${ep.port}/${encodeURIComponent(database)}${query ? `?${query}` : ''}`
}

/** How an endpoint is named in output: never with a password. */
export function describeEndpoint(ep: Endpoint, database = ep.database): string {
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host
  return `${ep.engine}://${ep.user}@${host}:${ep.port}/${database}`
}

export function redactUrl(url: string): string {
  return redactUrls(url)
}

export function withDatabase(ep: Endpoint, database: string): Endpoint {
  return Object.freeze({ ...ep, database })
}

export function sameServer(a: Endpoint, b: Endpoint): boolean {
  const local = (h: string) => (h === 'localhost' || h === '::1' ? '127.0.0.1' : h)
  return a.engine === b.engine && local(a.host) === local(b.host) && a.port === b.port
}
