import type { Readable, Transform } from 'node:stream'
import { DrydockError } from '../../errors.ts'
import type { TableRef, WriteOptions } from '../driver.ts'
import { partWhere } from './mysql-parts.ts'
import { tableColumns } from './mysql-columns.ts'
import { loadData } from './mysql-infile.ts'
import { errno, type MysqlConn, quoteIdent } from './mysql-connect.ts'

const LOCAL_INFILE_DISABLED = [1148, 3948, 4166]

/**
 * Parts of one table load side by side, and on a resume or a retry each first deletes its own
 * key range. Two things made them deadlock on each other (ER_LOCK_DEADLOCK), both avoided here:
 * - under REPEATABLE READ the DELETE locks the gap after its range, which the next part's range
 *   shares (an empty table is one gap), and each part's inserts then wait on the other's gap
 *   lock. A part runs READ COMMITTED (no gap locks) unless statement-based binary logging
 *   refuses row changes at that level; there a deadlock is left to the retry (transient);
 * - with unique_checks off, MariaDB (10.6+) loads into an empty table in bulk under a table
 *   lock, which waits on the other part's DELETE. Parts keep unique_checks on: the primary key
 *   is checked either way, secondary unique keys come with post-data, and parallel parts loaded
 *   faster than one bulk part at a time did (pipeline/safety/faults/README.md).
 * Whole tables keep both off (TRUNCATE, one load, MariaDB's bulk path).
 */
async function partSession(conn: MysqlConn): Promise<void> {
  await conn.query('SET SESSION foreign_key_checks = 0')
  const [row] = await conn.query(`SELECT @@log_bin AND @@SESSION.sql_log_bin AND @@SESSION.binlog_format = 'STATEMENT' AS statement_logged`)
  if (String(row?.statement_logged) !== '1') await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED')
}

/**
 * TRUNCATE (a reload starts clean; a part instead deletes its own key range when asked), then
 * the rows in one transaction with foreign key (and, for a whole table, unique) checks off.
 * LOCAL turns conversion errors and duplicate keys into warnings, so any warning fails the
 * load. `beforeCommit` may still veto it. A failure rolls the whole transaction back (a
 * deadlock already did), so a retry redoes the unit from scratch.
 */
export async function writeTable(
  conn: MysqlConn, table: TableRef, source: Readable, through: Transform[], options: WriteOptions = {},
): Promise<number> {
  const { part, beforeCommit } = options
  const columns = await tableColumns(conn, table)
  if (part) await partSession(conn)
  else {
    await conn.query('SET SESSION foreign_key_checks = 0, unique_checks = 0')
    await conn.query(`TRUNCATE TABLE ${quoteIdent(table.name)}`)
  }
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
