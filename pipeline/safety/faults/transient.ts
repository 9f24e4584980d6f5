/**
 * Engine-independent parts of "is this failure worth another try on a new connection?".
 * The drivers add their own codes (SQLSTATE, MySQL errno) in postgres-transient.ts and
 * mysql-transient.ts; this file knows the network and operating-system side.
 *
 * Transient: the connection broke or the server was briefly unavailable (reset, refused,
 * closed mid-query, timed out, restarting). Never transient: anything the same statement on a
 * new connection would hit again (authentication, syntax, constraint, disk full, a
 * DrydockError drydock raised on purpose).
 */
import { DrydockError } from '../../errors.ts'

/** Socket-level failures: the peer went away or could not be reached for a moment. */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'ENETRESET', 'EAI_AGAIN', 'ESOCKETTIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE',
])

/** Failures a retry would only repeat (or make worse): full disks, permissions, missing files. */
export const PERMANENT_SYSTEM_CODES: ReadonlySet<string> = new Set([
  'ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOENT', 'EISDIR', 'ENOTDIR', 'EMFILE', 'ENFILE', 'ENOTFOUND',
])

/** Messages of client libraries whose connection ended under a running statement. */
const CLOSED_MESSAGES = [
  /connection terminated/i, // pg: "Connection terminated unexpectedly", "… due to connection timeout"
  /client has encountered a connection error/i, // pg after a socket error
  /client was closed and is not queryable/i,
  /can't add new command when connection is in closed state/i, // mysql2
  /connection lost: the server closed the connection/i, // mysql2 PROTOCOL_CONNECTION_LOST
  /the connection closed during LOAD DATA/i, // mysql-load.ts
  /socket hang up/i,
  /read ECONNRESET|write EPIPE/i,
  /timeout expired|timed out|query read timeout/i,
]

/** The error and its causes, outermost first (bounded: a cycle cannot loop). */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = []
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 8; e = (e as { cause?: unknown }).cause) {
    if (chain.includes(e)) break
    chain.push(e)
  }
  return chain
}

/**
 * DrydockErrors are decisions drydock made (a checksum mismatch, a refused login): never
 * transient, except a failed connect whose cause is a network failure (the server restarting).
 * `undefined`: not a DrydockError, let the caller look at the raw error.
 */
export function drydockVerdict(error: unknown, inner: (e: unknown) => boolean): boolean | undefined {
  if (!(error instanceof DrydockError)) return undefined
  if (error.code === 'DD_UNREACHABLE' || error.code === 'DD_CONNECT_FAILED') {
    return error.cause !== undefined && inner(error.cause)
  }
  return false
}

/**
 * The generic verdict: a network code or a "connection closed" message anywhere in the chain
 * makes an error transient unless a permanent system code is also there. Engine codes are the
 * drivers' business: an error with an unknown engine code is not transient here.
 */
export function isNetworkTransient(error: unknown): boolean {
  const verdict = drydockVerdict(error, isNetworkTransient)
  if (verdict !== undefined) return verdict
  const chain = causeChain(error)
  if (chain.some((e) => PERMANENT_SYSTEM_CODES.has(String((e as { code?: unknown }).code)))) return false
  if (chain.some((e) => /\bENOSPC\b|no space left on device/i.test(String((e as { message?: unknown }).message ?? '')))) return false
  for (const e of chain) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true
    const message = String((e as { message?: unknown }).message ?? '')
    if (CLOSED_MESSAGES.some((re) => re.test(message))) return true
  }
  return false
}
