import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { Snapshot } from '../driver.ts'
import { errno, type MysqlConn, type MysqlLink } from './mysql-connect.ts'
import { MysqlSession } from './mysql-session.ts'

const ACCESS_DENIED = [1227, 1045, 1044]

const BEGIN_SNAPSHOT = 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY'

/**
 * Sessions opened with the snapshot beyond the workers asked for. A session cannot join a
 * consistent snapshot once the lock is gone, so a worker lost to a broken connection is
 * replaced by a spare; when they are used up the run stops, resumable (DD_SNAPSHOT_LOST).
 */
export function sparesFor(workers: number): number {
  return Math.max(2, workers)
}

/**
 * MySQL cannot hand one snapshot to other sessions, so every worker (and every spare) starts
 * its own consistent-snapshot transaction while FLUSH TABLES WITH READ LOCK holds all writes:
 * they all see the same instant. The lock is released as soon as they have started (a few
 * milliseconds); the binary log position is read under it. Proof that a spare handed out
 * later still sees that instant: pipeline/safety/faults/README.md, "A lost snapshot worker".
 */
export async function openSnapshot(link: MysqlLink, ep: Endpoint, workers = 1): Promise<Snapshot> {
  const holder = await link.connect(ep)
  const sessions: MysqlConn[] = []
  const spares = sparesFor(workers)
  try {
    const [mode] = await holder.query('SELECT @@GLOBAL.sql_mode AS mode')
    link.pinSqlMode(mode!.mode ?? '')
    await holder.query('SET SESSION sql_mode = ?', [link.sqlMode])
    for (let i = 0; i < workers + spares; i++) sessions.push(await link.connect(ep))
    for (const c of [holder, ...sessions]) await c.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ')
    const threads = await Promise.all(sessions.map(connectionId))
    await holder.query('SET SESSION lock_wait_timeout = 120')
    try {
      await holder.query('FLUSH TABLES WITH READ LOCK')
    } catch (error) {
      throw lockError(error, ep)
    }
    let position: string
    try {
      await Promise.all([holder, ...sessions].map((c) => c.query(BEGIN_SNAPSHOT)))
      position = await binlogPosition(holder)
    } finally {
      await holder.query('UNLOCK TABLES')
    }
    const [thread] = await holder.query('SELECT CONNECTION_ID() AS id, UTC_TIMESTAMP(6) AS at')
    const pending = sessions.map((c, i) => ({ session: new MysqlSession(c), thread: threads[i]! }))
    const handedOut: MysqlSession[] = []
    let lost = 0
    return {
      id: `ftwrl-${thread!.id}-${thread!.at!.replace(/\D/g, '')}`,
      position,
      holder: new MysqlSession(holder),
      async worker() {
        if (handedOut.length >= workers) lost++
        for (let next = pending.shift(); next; next = pending.shift()) {
          handedOut.push(next.session)
          // The same server thread, still answering: its transaction is the one started under the lock.
          if (await connectionId(next.session.conn).then((id) => id === next.thread, () => false)) return next.session
          lost++
          await next.session.close()
        }
        throw new DrydockError('DD_SNAPSHOT_LOST', `${lost} connection(s) of the MySQL snapshot on ${ep.host}:${ep.port} broke and its ${spares} spare session(s) are used up: no other session can join a consistent snapshot once it is open`, {
          stage: 'snapshot',
          hint: 'the connection to production kept breaking: check the network (or proxy) in between, then rerun with --resume (the resumed run takes a new snapshot, and hop 1 compares staging with it)',
        })
      },
      async close() {
        await Promise.all([...pending.map((p) => p.session), ...handedOut].map((s) => s.conn.query('ROLLBACK').catch(() => {}).then(() => s.close())))
        await holder.query('ROLLBACK').catch(() => {})
        await holder.close().catch(() => {})
      },
    }
  } catch (error) {
    await Promise.all([holder, ...sessions].map((c) => c.close().catch(() => {})))
    throw error
  }
}

async function connectionId(conn: MysqlConn): Promise<string> {
  const [row] = await conn.query('SELECT CONNECTION_ID() AS id')
  return String(row!.id)
}

function lockError(error: unknown, ep: Endpoint): unknown {
  if (ACCESS_DENIED.includes(errno(error) ?? 0)) {
    return new DrydockError('DD_SNAPSHOT_PRIVILEGE', `user "${ep.user}" on ${ep.host}:${ep.port} lacks the RELOAD privilege that FLUSH TABLES WITH READ LOCK needs for a consistent snapshot`, {
      stage: 'snapshot',
      hint: `grant it for the upgrade (GRANT RELOAD ON *.* TO '${ep.user}'@'<host>'), or run as an account that has it; the lock lasts only while the workers start their snapshots`,
    }, { cause: error })
  }
  if (errno(error) === 1205) {
    return new DrydockError('DD_SNAPSHOT_LOCK_TIMEOUT', `FLUSH TABLES WITH READ LOCK waited 120 s on ${ep.host}:${ep.port} for running statements`, {
      stage: 'snapshot', hint: 'a long query or an open transaction holds tables: stop the application (it is a maintenance window) and retry',
    }, { cause: error })
  }
  return error
}

/** binlog file:position and GTID state, read under the lock; a server without binlog says so. */
async function binlogPosition(conn: MysqlConn): Promise<string> {
  const parts: string[] = []
  for (const sql of ['SHOW MASTER STATUS', 'SHOW BINARY LOG STATUS']) {
    try {
      const [row] = await conn.query(sql)
      parts.push(row ? `binlog ${row.File}:${row.Position}` : 'binlog off')
      break
    } catch {
      // SHOW MASTER STATUS is gone in MySQL 8.4; SHOW BINARY LOG STATUS is new in 8.2.
    }
  }
  const gtid = conn.flavor.mariadb ? '@@GLOBAL.gtid_binlog_pos' : '@@GLOBAL.gtid_executed'
  const [row] = await conn.query(`SELECT ${gtid} AS gtid`).catch(() => [] as { gtid?: string | null }[])
  if (row?.gtid) parts.push(`gtid ${row.gtid.replace(/\s+/g, '')}`)
  return parts.join(', ') || 'binlog position unknown (no privilege to read it)'
}
