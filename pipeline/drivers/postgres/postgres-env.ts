import { type Endpoint, endpointUrl } from '../../config/endpoint.ts'

/** libpq variables for child processes: the password travels here, never on a command line. */
export function libpqEnv(ep: Endpoint, database = ep.database): Record<string, string> {
  return {
    PGHOST: ep.host,
    PGPORT: String(ep.port),
    PGUSER: ep.user,
    PGDATABASE: database,
    ...(ep.password !== undefined ? { PGPASSWORD: ep.password } : {}),
    ...(ep.params.sslmode ? { PGSSLMODE: ep.params.sslmode } : {}),
    PGAPPNAME: 'drydock',
    PGCONNECT_TIMEOUT: '20',
  }
}

export function migrationEnv(ep: Endpoint): Record<string, string> {
  const { PGAPPNAME: _app, PGCONNECT_TIMEOUT: _timeout, ...env } = libpqEnv(ep)
  return { ...env, DATABASE_URL: endpointUrl(ep).replace(/^postgres:/, 'postgresql:') }
}

/** The parent's environment without any connection settings that could point a child elsewhere. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^PG|^DATABASE_URL$/.test(key)) env[key] = value
  }
  return { ...env, ...extra }
}
