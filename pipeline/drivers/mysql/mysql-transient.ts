/**
 * Which MySQL/MariaDB failures are worth another attempt on a new connection
 * (pipeline/safety/faults/retry.ts). By server errno and mysql2 code, then by the network side.
 */
import { causeChain, drydockVerdict, isNetworkTransient } from '../../safety/faults/transient.ts'

const TRANSIENT_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1152, // ER_ABORTING_CONNECTION
  1158, 1159, 1160, 1161, // ER_NET_READ_ERROR, ER_NET_READ_INTERRUPTED, ER_NET_ERROR_ON_WRITE, ER_NET_WRITE_INTERRUPTED
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1927, // ER_CONNECTION_KILLED (MariaDB: the server killed the connection, e.g. at shutdown)
  2002, 2003, 2006, 2013, 2055, // CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_SERVER_LOST_EXTENDED
  3024, // ER_QUERY_TIMEOUT (MySQL max_execution_time)
  1969, // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8: disconnected for inactivity)
])

const TRANSIENT_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK',
  'ER_CON_COUNT_ERROR', 'ER_CONNECTION_KILLED', 'ER_NET_READ_INTERRUPTED', 'ER_NET_WRITE_INTERRUPTED', 'ER_CLIENT_INTERACTION_TIMEOUT',
])

const PERMANENT_ERRNOS = new Set([
  1044, 1045, 1130, 1698, 1227, 1142, 1143, // access denied (login, database, host, command, table, column)
  1064, 1146, 1054, 1049, // syntax, no such table / column / database
  1062, 1451, 1452, 1048, 4025, 3819, // duplicate key, foreign keys, NOT NULL, CHECK (MariaDB, MySQL)
  1021, 1114, 3, // ER_DISK_FULL, ER_RECORD_FILE_FULL (table full), OS errno 3 (write error)
  1148, 3948, 4166, // LOAD DATA LOCAL disabled
  1290, // ER_OPTION_PREVENTS_STATEMENT (read-only server)
])

export function isTransientMysql(error: unknown): boolean {
  const verdict = drydockVerdict(error, isTransientMysql)
  if (verdict !== undefined) return verdict
  const chain = causeChain(error)
  const errnos = chain.map((e) => (e as { errno?: unknown }).errno).filter((n): n is number => typeof n === 'number')
  const sqlStates = chain.map((e) => (e as { sqlState?: unknown }).sqlState).filter((s): s is string => typeof s === 'string')
  const messages = chain.map((e) => String((e as { message?: unknown }).message ?? '')).join(' ')
  // "Got error 28 from storage engine", "No space left on device": disk full, never transient.
  if (/errno: 28\b|error 28\b|no space left/i.test(messages)) return false
  if (errnos.some((n) => PERMANENT_ERRNOS.has(n))) return false
  if (errnos.some((n) => TRANSIENT_ERRNOS.has(n))) return true
  if (chain.some((e) => TRANSIENT_CODES.has(String((e as { code?: unknown }).code)))) return true
  if (sqlStates.some((s) => s === '40001' || s === '08S01')) return true
  // A server error (errno below 2000 or a SQLSTATE of its own) that is none of the above.
  if (errnos.some((n) => n < 2000 && n > 0 && n !== 3)) return false
  return isNetworkTransient(error)
}
