/** Where a test server is, from an environment variable holding its URL (or the local default). */

export interface TestServer {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string | undefined
  /** `user` or `user:password`, percent-encoded, for the part of a URL before `@`. */
  readonly auth: string
  /** The URL's path without its slash; undefined when it has none. */
  readonly database: string | undefined
}

export function serverFromEnv(variable: string, fallback: string, defaultPort: number): TestServer {
  const text = process.env[variable] || fallback
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`${variable} is not a URL: ${text}`)
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''))
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : defaultPort,
    user: decodeURIComponent(url.username),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    auth: url.password ? `${url.username}:${url.password}` : url.username,
    database: database || undefined,
  }
}
