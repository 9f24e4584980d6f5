import { type Endpoint, sameServer } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { errno, type MysqlConn, type MysqlLink, quoteIdent, quoteString } from './mysql-connect.ts'
import type { MysqlSession } from './mysql-session.ts'

/** Runs `work` on a connection to the server without a default database, closed afterwards. */
export async function withServer<T>(link: MysqlLink, ep: Endpoint, work: (conn: MysqlConn) => Promise<T>): Promise<T> {
  const conn = await link.connectServer(ep)
  try {
    return await work(conn)
  } finally {
    await conn.close()
  }
}

export function databaseExists(link: MysqlLink, server: Endpoint, name: string): Promise<boolean> {
  return withServer(link, server, async (conn) =>
    (await conn.query('SELECT 1 AS x FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])).length === 1)
}

/** CREATE DATABASE with the character set and collation of `like`. */
export async function createDatabase(link: MysqlLink, server: Endpoint, name: string, like?: Endpoint): Promise<void> {
  let options = ' CHARACTER SET utf8mb4'
  if (like) {
    const [db] = await withServer(link, like, (conn) => conn.query(`
      SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
        FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, [like.database]))
    if (db) options = ` CHARACTER SET ${db.charset} COLLATE ${db.collation}`
  }
  await withServer(link, server, async (conn) => {
    // A shadow loaded without the binary log is created without it too (mysql-binlog.ts).
    if (link.isDatabaseUnlogged(server, name)) await conn.query('SET SESSION sql_log_bin = 0')
    try {
      await conn.query(`CREATE DATABASE ${quoteIdent(name)}${options}`)
    } catch (error) {
      if (errno(error) === 1007) {
        throw new DrydockError('DD_DATABASE_EXISTS', `database "${name}" already exists on ${server.host}:${server.port}`, {
          hint: 'a previous run left it: drop the database if it is not needed',
        }, { cause: error })
      }
      // A staging server may lack production's collation (MySQL 8 vs MariaDB); the bytes stay exact.
      if (like && (errno(error) === 1273 || errno(error) === 1115)) await conn.query(`CREATE DATABASE ${quoteIdent(name)} CHARACTER SET utf8mb4`)
      else throw error
    }
  })
}

export function dropDatabase(link: MysqlLink, server: Endpoint, name: string): Promise<void> {
  return withServer(link, server, async (conn) => { await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`) })
}

export function isEmpty(link: MysqlLink, ep: Endpoint): Promise<boolean> {
  return withServer(link, ep, async (conn) => {
    const [row] = await conn.query(`
      SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?)
           + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) AS n`, [ep.database, ep.database])
    return Number(row!.n) === 0
  })
}

/**
 * Views, routines and triggers name a DEFINER; on a staging server other than production
 * those accounts are created (locked, rights on the staging database only) so the objects
 * work there. Loads into such a server skip the binary log: it is a scratch copy.
 */
export async function prepareStaging(link: MysqlLink, source: MysqlSession, staging: Endpoint): Promise<void> {
  if (sameServer(source.conn.endpoint, staging)) return
  link.markUnlogged(staging)
  const rows = await source.conn.query(`
    SELECT DEFINER AS definer FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()
    UNION SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()
    UNION SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`)
  const conn = await link.connect(staging)
  try {
    for (const { definer } of rows) {
      const at = definer?.lastIndexOf('@') ?? -1
      if (!definer || at < 0) continue
      const account = `${quoteString(definer.slice(0, at))}@${quoteString(definer.slice(at + 1))}`
      try {
        await conn.query(`CREATE USER IF NOT EXISTS ${account} ACCOUNT LOCK`)
        await conn.query(`GRANT ALL PRIVILEGES ON ${quoteIdent(staging.database)}.* TO ${account}`)
      } catch (error) {
        throw new DrydockError('DD_STAGING_ROLES', `staging ${staging.host}:${staging.port} lacks the definer ${definer} of the source's views, routines or triggers, and drydock cannot create it: ${(error as Error).message}`, {
          stage: 'staging', hint: 'create that account on the staging server, or use staging: "ephemeral"',
        }, { cause: error })
      }
    }
  } finally {
    await conn.close()
  }
}

/**
 * Ephemeral staging runs with innodb_flush_log_at_trx_commit=0: a commit reaches the redo log
 * file within a second. FLUSH ENGINE LOGS writes and syncs InnoDB's log now, so every commit
 * so far survives a crash of the server; InnoDB does so only while the setting is 1 (at 0 the
 * flush is skipped), so it is 1 for the moment of the flush.
 */
export function flushEngineLogs(link: MysqlLink, server: Endpoint): Promise<void> {
  return withServer(link, server, async (conn) => {
    const [row] = await conn.query('SELECT @@GLOBAL.innodb_flush_log_at_trx_commit AS v')
    await conn.query('SET GLOBAL innodb_flush_log_at_trx_commit = 1')
    try {
      await conn.query('FLUSH ENGINE LOGS')
    } finally {
      await conn.query(`SET GLOBAL innodb_flush_log_at_trx_commit = ${Number(row?.v ?? 0)}`)
    }
  })
}
