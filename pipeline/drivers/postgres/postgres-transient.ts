/**
 * Which PostgreSQL failures are worth another attempt on a new connection
 * (pipeline/safety/faults/retry.ts). By SQLSTATE, then by the network side (pipeline/safety/faults/transient.ts).
 */
import { causeChain, drydockVerdict, isNetworkTransient } from '../../safety/faults/transient.ts'

/** Exact SQLSTATEs that are transient. Class 08 (connection exception) is transient as a whole. */
const TRANSIENT_STATES = new Set([
  '57P01', // admin_shutdown: terminated by the administrator or a fast/smart shutdown
  '57P02', // crash_shutdown: another backend crashed, the server restarts
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '57P05', // idle_session_timeout (PG 14+)
  '25P03', // idle_in_transaction_session_timeout
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
  '53300', // too_many_connections
])

/** Never transient, whatever else the error says. */
const PERMANENT_STATES = new Set([
  '53100', // disk_full
  '53200', // out_of_memory
  '53400', // configuration_limit_exceeded
])
const PERMANENT_CLASSES = new Set([
  '22', // data exception
  '23', // integrity constraint violation
  '28', // invalid authorization specification (auth failures)
  '42', // syntax error or access rule violation
  '3D', // invalid catalog name (database missing)
  '3F', // invalid schema name
  '0A', // feature not supported
  'XX', // internal error
  '58', // system error (I/O)
])

function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown }).code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

export function isTransientPostgres(error: unknown): boolean {
  const verdict = drydockVerdict(error, isTransientPostgres)
  if (verdict !== undefined) return verdict
  const states = causeChain(error).map(sqlState).filter((s): s is string => s !== undefined)
  if (states.some((s) => PERMANENT_STATES.has(s) || PERMANENT_CLASSES.has(s.slice(0, 2)))) return false
  for (const s of states) {
    if (TRANSIENT_STATES.has(s) || s.startsWith('08')) return true
    // query_canceled is transient only when a timeout canceled it, not an operator.
    if (s === '57014') {
      const message = causeChain(error).map((e) => String((e as { message?: unknown }).message ?? '')).join(' ')
      return /timeout/i.test(message)
    }
  }
  if (states.length > 0) return false
  return isNetworkTransient(error)
}
