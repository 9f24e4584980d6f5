import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { pgConnectMaintenance, quoteIdent } from './postgres-connect.ts'

/**
 * `CREATE DATABASE to TEMPLATE from` (a file-level copy: no rows are replayed, indexes and
 * statistics come along). PostgreSQL refuses while anyone is connected to `from`; sessions that
 * are closing get a few seconds to leave. Version 15 and later copy with STRATEGY FILE_COPY,
 * which skips writing every block to the WAL.
 */
export async function cloneDatabase(server: Endpoint, from: string, to: string): Promise<void> {
  const client = await pgConnectMaintenance(server, [from, to])
  try {
    const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num)
    const strategy = version >= 150000 ? ' STRATEGY FILE_COPY' : ''
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdent(to)} TEMPLATE ${quoteIdent(from)}${strategy}`)
        return
      } catch (error) {
        const code = (error as { code?: string }).code
        if (code === '55006' && Date.now() < deadline) { await new Promise((r) => setTimeout(r, 250)); continue }
        if (code === '42P04') {
          throw new DrydockError('DD_DATABASE_EXISTS', `database "${to}" already exists on ${server.host}:${server.port}`, {
            hint: 'a previous run left it: drop it if it is not needed',
          }, { cause: error })
        }
        throw new DrydockError('DD_CHECKPOINT_FAILED', `cannot copy database "${from}" to "${to}" on ${server.host}:${server.port}: ${(error as Error).message}`, {
          hint: code === '55006' ? 'other sessions are connected to it; close them' : 'the account needs CREATEDB',
        }, { cause: error })
      }
    }
  } finally {
    await client.end()
  }
}
