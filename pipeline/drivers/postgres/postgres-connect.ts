import type { Readable } from 'node:stream'
import pg from 'pg'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { keepAlive } from '../../safety/faults/keep-alive.ts'

// Every int8/numeric stays a string: no value drydock reads goes through a JS number.
pg.types.setTypeParser(20, (v) => v)

/**
 * Session settings that make text output canonical, so that checksums computed on two
 * servers agree, and that keep long maintenance-window statements alive.
 */
const SESSION_SETTINGS = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  "SET bytea_output = 'hex'",
  "SET client_encoding = 'UTF8'",
  'SET statement_timeout = 0',
  'SET idle_in_transaction_session_timeout = 0',
]

export async function pgConnect(ep: Endpoint, database = ep.database): Promise<pg.Client> {
  const client = new pg.Client({
    host: ep.host,
    port: ep.port,
    user: ep.user,
    ...(ep.password !== undefined ? { password: ep.password } : {}),
    database,
    application_name: 'drydock',
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: 20_000,
    ...(ep.params.sslmode && ep.params.sslmode !== 'disable' ? { ssl: { rejectUnauthorized: ep.params.sslmode === 'verify-full' } } : {}),
  })
  // A dropped connection surfaces on the pending query; without a listener it would crash the process.
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => {})
    throw connectionError(error, ep, database)
  }
  const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num)
  await client.query([...SESSION_SETTINGS, `SET extra_float_digits = ${version >= 120000 ? 1 : 3}`].join('; '))
  keepClientAlive(client)
  return client
}

/** pg's own queue: a statement is running (`_activeQuery`) or waiting (`_queryQueue`). */
type ClientQueue = { _activeQuery?: unknown; _queryQueue?: unknown[] }

/** SELECT 1 when idle (pipeline/safety/faults/keep-alive.ts); pg queues it behind any statement. */
function keepClientAlive(client: pg.Client): void {
  const queue = client as unknown as ClientQueue
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  const keeper = keepAlive({
    busy: () => Boolean(queue._activeQuery) || (queue._queryQueue?.length ?? 0) > 0,
    ping: () => client.query('SELECT 1'),
    kill: (error) => { (client as unknown as { connection: { stream: { destroy(e: Error): void } } }).connection.stream.destroy(error) },
  })
  ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    keeper.touch()
    return query(...args)
  }
  client.once('end', () => keeper.stop())
  const end = client.end.bind(client) as (...args: unknown[]) => unknown
  ;(client as unknown as { end: (...args: unknown[]) => unknown }).end = (...args: unknown[]) => {
    keeper.stop()
    return end(...args)
  }
}

export function connectionError(error: unknown, ep: Endpoint, database = ep.database): DrydockError {
  const e = error as { code?: string; message?: string }
  const where = describeEndpoint(ep, database)
  const cause = { cause: error }
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return new DrydockError('DD_UNREACHABLE', `cannot reach PostgreSQL at ${ep.host}:${ep.port} (${e.code})`, {
        hint: `check that the server is running and that host and port in ${where} are right`,
      }, cause)
    case '28P01':
    case '28000':
      return new DrydockError('DD_AUTH_FAILED', `PostgreSQL at ${ep.host}:${ep.port} refused user "${ep.user}": ${e.message}`, {
        hint: 'check the user and password (in the URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf',
      }, cause)
    case '3D000':
      return new DrydockError('DD_DATABASE_MISSING', `database "${database}" does not exist on ${ep.host}:${ep.port}`, {
        hint: `check the database name in ${where}`,
      }, cause)
    default:
      if (/timeout/i.test(e.message ?? '')) {
        return new DrydockError('DD_UNREACHABLE', `cannot reach PostgreSQL at ${ep.host}:${ep.port} (connection timed out)`, {
          hint: `check that the server is running and reachable, and the host and port in ${where}`,
        }, cause)
      }
      return new DrydockError('DD_CONNECT_FAILED', `cannot connect to ${where}: ${e.message ?? String(error)}`, {}, cause)
  }
}

/** Connects to a database of the server that is not `avoid` (for CREATE/ALTER/DROP DATABASE). */
export async function pgConnectMaintenance(ep: Endpoint, avoid: readonly string[] = []): Promise<pg.Client> {
  let lastError: unknown
  for (const database of ['postgres', 'template1', ep.database]) {
    if (avoid.includes(database)) continue
    try {
      return await pgConnect(ep, database)
    } catch (error) {
      lastError = error
      if (error instanceof DrydockError && error.code !== 'DD_DATABASE_MISSING') throw error
    }
  }
  throw lastError
}

/**
 * pg-copy-streams' COPY TO only emits 'error' when pg hands it a failure (the socket closed, the
 * backend was terminated, the client was already broken): the stream is not destroyed, so a
 * pipeline attached a moment later never learns and waits forever (a dump that hung with a
 * 0-byte .partial file, issue 11 item 9). Destroying it makes every later reader see the error.
 */
export function failWhenLost<S extends Readable>(stream: S): S {
  (stream as unknown as { handleError(error: Error): void }).handleError = (error: Error) => { stream.destroy(error) }
  return stream
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

export function qualify(table: { schema: string; name: string }): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`
}
