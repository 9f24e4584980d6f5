import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET'])
// ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_HOST_NOT_PRIVILEGED, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
const AUTH = new Set([1045, 1044, 1130, 1698])
const BAD_DB = 1049

/** What a failed connect means for the operator; never names the password. */
export function connectionError(error: unknown, ep: Endpoint, database?: string): DrydockError {
  const e = error as { code?: string; errno?: number; message?: string }
  const where = describeEndpoint(ep, database ?? '')
  const cause = { cause: error }
  if ((e.code && UNREACHABLE.has(e.code)) || /timeout|timed out/i.test(e.message ?? '')) {
    return new DrydockError('DD_UNREACHABLE', `cannot reach MySQL at ${ep.host}:${ep.port} (${e.code ?? 'connection timed out'})`, {
      hint: `check that the server is running and that host and port in ${where} are right`,
    }, cause)
  }
  if (e.errno !== undefined && AUTH.has(e.errno)) {
    return new DrydockError('DD_AUTH_FAILED', `MySQL at ${ep.host}:${ep.port} refused user "${ep.user}" (${e.code ?? e.errno})`, {
      hint: 'check the user and password (in the URL or MYSQL_PWD) and the account\'s allowed hosts and grants',
    }, cause)
  }
  if (e.errno === BAD_DB) {
    return new DrydockError('DD_DATABASE_MISSING', `database "${database}" does not exist on ${ep.host}:${ep.port}`, {
      hint: `check the database name in ${where}`,
    }, cause)
  }
  return new DrydockError('DD_CONNECT_FAILED', `cannot connect to ${where}: ${e.message ?? String(error)}`, {}, cause)
}
