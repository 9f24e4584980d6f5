import { type Endpoint, endpointUrl } from '../../config/endpoint.ts'

/** The parent's environment without connection settings that could point a child elsewhere. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^MYSQL_|^DATABASE_URL$/.test(key)) env[key] = value
  }
  return env
}

/** For the mysql/mariadb client: the password travels here (MYSQL_PWD), never on a command line. */
export function clientEnv(ep: Endpoint): NodeJS.ProcessEnv {
  return { ...baseEnv(), ...(ep.password !== undefined ? { MYSQL_PWD: ep.password } : {}) }
}

/**
 * For migration commands: the staging connection as MYSQL_* variables (MYSQL_TCP_PORT too,
 * which the client itself reads; MYSQL_PWD is empty without a password) and DATABASE_URL (mysql://…).
 */
export function migrationEnv(ep: Endpoint): Record<string, string> {
  return {
    MYSQL_HOST: ep.host,
    MYSQL_PORT: String(ep.port),
    MYSQL_TCP_PORT: String(ep.port),
    MYSQL_USER: ep.user,
    MYSQL_PWD: ep.password ?? '',
    MYSQL_DATABASE: ep.database,
    DATABASE_URL: endpointUrl(ep).replace(/^[a-z]+:/, 'mysql:'),
  }
}
