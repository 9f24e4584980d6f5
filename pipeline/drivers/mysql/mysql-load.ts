import type { Readable, Transform } from 'node:stream'
import { DrydockError } from '../../errors.ts'
import type { TableRef, WriteOptions } from '../driver.ts'
import { partWhere } from './mysql-parts.ts'
import { tableColumns } from './mysql-columns.ts'
import { loadData } from './mysql-infile.ts'
import { errno, type MysqlConn, quoteIdent } from './mysql-connect.ts'

const LOCAL_INFILE_DISABLED = [1148, 3948, 4166]

/**
 * TRUNCATE (a reload starts clean; a part instead deletes its own key range when asked), then
 * the rows in one transaction with unique and foreign key checks off. LOCAL turns conversion
 * errors and duplicate keys into warnings, so any warning fails the load. `beforeCommit` may
 * still veto it.
 */
export async function writeTable(
  conn: MysqlConn, table: TableRef, source: Readable, through: Transform[], options: WriteOptions = {},
): Promise<number> {
  const { part, beforeCommit } = options
  const columns = await tableColumns(conn, table)
  await conn.query('SET SESSION foreign_key_checks = 0, unique_checks = 0')
  if (!part) await conn.query(`TRUNCATE TABLE ${quoteIdent(table.name)}`)
  await conn.query('START TRANSACTION')
  try {
    if (part?.clear) await conn.query(`DELETE FROM ${quoteIdent(table.name)}${partWhere(part.range)}`)
    const result = await loadData(conn, table, columns, [source, ...through],
      'the load was rolled back; the column definitions or sql_mode of the target differ from the source')
    await beforeCommit?.(result.affectedRows)
    await conn.query('COMMIT')
    return result.affectedRows
  } catch (error) {
    await conn.query('ROLLBACK').catch(() => {})
    if (LOCAL_INFILE_DISABLED.includes(errno(error) ?? 0)) {
      throw new DrydockError('DD_LOCAL_INFILE_OFF', `${conn.endpoint.host}:${conn.endpoint.port} refuses LOAD DATA LOCAL INFILE`, {
        hint: 'enable it on that server: SET GLOBAL local_infile = ON (or local_infile=1 in its config)',
      }, { cause: error })
    }
    throw error
  } finally {
    await conn.query('SET SESSION foreign_key_checks = 1, unique_checks = 1').catch(() => {})
  }
}
