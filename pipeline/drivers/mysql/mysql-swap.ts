import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { createDatabase } from './mysql-databases.ts'
import { type MysqlConn, type MysqlLink, quoteIdent } from './mysql-connect.ts'
import type { SwapOptions, SwapResult, SwapSide } from '../driver.ts'
import { type ForeignKey, parkCrossKeys, restoreKeys } from './mysql-keep.ts'
import { createObject, createViews, readRoutines, readTriggers, readViews, type SchemaObject } from './mysql-objects.ts'

/** A table's qualified name before and after a rename. */
type Move = [from: string, to: string]

interface Movable {
  tables: string[]
  routines: SchemaObject[]
  views: SchemaObject[]
  triggers: SchemaObject[]
}

/** What moves between `db` and its counterpart: everything but the kept tables and their triggers. */
async function readMovable(conn: MysqlConn, db: string, keep: ReadonlySet<string>): Promise<Movable> {
  await conn.query(`USE ${quoteIdent(db)}`)
  const tables = await conn.query(`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE') ORDER BY 1`, [db])
  return {
    tables: tables.map((t) => t.name!).filter((t) => !keep.has(t)),
    routines: await readRoutines(conn),
    views: await readViews(conn),
    triggers: (await readTriggers(conn)).filter((t) => !keep.has(t.table ?? '')),
  }
}

async function dropObjects(conn: MysqlConn, db: string, m: Movable, routines: boolean): Promise<void> {
  await conn.query(`USE ${quoteIdent(db)}`)
  for (const t of m.triggers) await conn.query(`DROP TRIGGER IF EXISTS ${quoteIdent(t.name)}`)
  for (const v of m.views) await conn.query(`DROP VIEW IF EXISTS ${quoteIdent(v.name)}`)
  if (routines) for (const r of m.routines) await conn.query(`DROP ${r.name.split(' ')[0]} IF EXISTS ${quoteIdent(r.name.slice(r.name.indexOf(' ') + 1))}`)
}

async function createObjects(conn: MysqlConn, db: string, m: Movable, routines: boolean): Promise<void> {
  await conn.query(`USE ${quoteIdent(db)}`)
  if (routines) for (const r of m.routines) await createObject(conn, r)
  await createViews(conn, m.views)
  for (const t of m.triggers) await createObject(conn, t)
}

/** Waits up to five seconds for sessions that are closing (drydock's own workers included). */
async function refuseIfBusy(conn: MysqlConn, databases: string[]): Promise<void> {
  const deadline = Date.now() + 5000
  let sessions = await listSessions(conn, databases)
  while (sessions.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    sessions = await listSessions(conn, databases)
  }
  if (sessions.length === 0) return
  const list = sessions.map((s) => `id ${s.id} (${s.user}@${s.host}, ${s.command}, db ${s.db})`).join('; ')
  throw new DrydockError('DD_SWAP_BUSY', `cannot swap: ${sessions.length} session(s) are using the databases: ${list}`, {
    stage: 'swap', hint: 'stop the application servers and other clients (it is a maintenance window), then run the upgrade again',
  })
}

function listSessions(conn: MysqlConn, databases: string[]) {
  return conn.query(`
    SELECT ID AS id, USER AS user, HOST AS host, DB AS db, COMMAND AS command FROM information_schema.PROCESSLIST
     WHERE DB IN (?, ?) AND ID <> CONNECTION_ID()`, databases)
}

/**
 * Every table of live → backup and of shadow → live in ONE `RENAME TABLE`, which is atomic.
 * Views, triggers and routines cannot move between databases that way: they are read
 * first, dropped, and recreated on their tables' side right after the rename, so for a
 * moment (with the application stopped) the tables exist without them; if they cannot be
 * recreated, the rename is taken back (all or nothing). Events stay with the live database
 * name. The emptied shadow database is dropped. Kept tables (unchanged by
 * the migration, see pipeline/stages/loadback/keep-tables.ts) stay live with their triggers; their
 * empty twins in the shadow go with it.
 */
export async function swapDatabases(link: MysqlLink, live: Endpoint, shadow: string, backup: string, options: SwapOptions = {}): Promise<SwapResult> {
  const conn = await link.connectServer(live)
  const kept = new Set(options.keep ?? [])
  try {
    await refuseIfBusy(conn, [live.database, shadow])
    const old = await readMovable(conn, live.database, kept)
    const next = await readMovable(conn, shadow, kept)
    await conn.query('SET SESSION foreign_key_checks = 0')
    await createDatabase(link, live, backup, live)
    const moves = [
      ...old.tables.map((t): Move => [`${quoteIdent(live.database)}.${quoteIdent(t)}`, `${quoteIdent(backup)}.${quoteIdent(t)}`]),
      ...next.tables.map((t): Move => [`${quoteIdent(shadow)}.${quoteIdent(t)}`, `${quoteIdent(live.database)}.${quoteIdent(t)}`]),
    ]
    await dropObjects(conn, live.database, old, false)
    await dropObjects(conn, shadow, next, false)
    try {
      await renameTables(conn, moves)
    } catch (error) {
      await createObjects(conn, live.database, old, false).catch(() => {})
      await createObjects(conn, shadow, next, false).catch(() => {})
      throw new DrydockError('DD_SWAP_FAILED', `swap of ${live.database} failed and was undone: ${(error as Error).message}`, {
        stage: 'swap', hint: 'production is unchanged; fix the cause and run the upgrade again',
      }, { cause: error })
    }
    try {
      await ownSequenceDefaults(conn, live.database, shadow)
      await dropObjects(conn, live.database, old, true)
      await createObjects(conn, live.database, next, true)
      await createObjects(conn, backup, old, true)
    } catch (error) {
      // All or nothing: the tables go back where they were, with their objects.
      const undone = await undoSwap(conn, live.database, shadow, backup, old, next, moves).then(() => true, () => false)
      if (undone) {
        throw new DrydockError('DD_SWAP_FAILED', `swap of ${live.database} failed and was undone: recreating views, triggers or routines failed: ${(error as Error).message}`, {
          stage: 'swap', hint: 'production is unchanged; fix the cause (the object named in the message) and run the upgrade again',
        }, { cause: error })
      }
      throw new DrydockError('DD_SWAP_INCOMPLETE', `the tables of ${live.database} were swapped (old ones in ${backup}), but recreating views, triggers or routines failed: ${(error as Error).message}`, {
        stage: 'swap', hint: `recreate them from the run directory's schema/migrated-*.sql before starting the application; the old ones are listed in ${backup}'s schema/source-*.sql`,
      }, { cause: error })
    }
    // Around kept tables: parked tables let go of live ones; tables back from parking get theirs again.
    const parked = kept.size > 0 ? await parkCrossKeys(conn, backup, live.database) : []
    await restoreKeys(conn, live.database, (options.restore ?? []) as ForeignKey[])
    await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(shadow)}`)
    return parked.length > 0 ? { parked } : {}
  } finally {
    await conn.close()
  }
}

/**
 * Takes back a RENAME TABLE whose objects could not be recreated: the objects made so far on
 * either side are dropped, the tables renamed back, and the objects recreated where they were.
 */
async function undoSwap(conn: MysqlConn, live: string, shadow: string, backup: string, old: Movable, next: Movable, moves: Move[]): Promise<void> {
  await dropObjects(conn, live, next, true)
  // In reverse order: the live names are free again before the old tables take them back.
  await renameTables(conn, [...moves].reverse().map(([from, to]): Move => [to, from]))
  await ownSequenceDefaults(conn, shadow, live)
  await createObjects(conn, live, old, true)
  // The copy's own objects as far as they can be made again (the one that failed cannot): the
  // shadow is not live, and the next attempt starts the load back over.
  await createObjects(conn, shadow, next, false).catch(() => {})
  // What was recreated in the backup goes with it.
  await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(backup)}`)
}

/**
 * MariaDB stores a column default's sequence with its database (`nextval(\`shadow\`.\`seq\`)`),
 * and RENAME TABLE keeps it: the tables that came from `from` would draw from a sequence of a
 * database that is gone. They are pointed at `db`'s sequence of the same name (metadata only).
 */
async function ownSequenceDefaults(conn: MysqlConn, db: string, from: string): Promise<void> {
  const rows = await conn.query(`SELECT TABLE_NAME AS tbl, COLUMN_NAME AS col, COLUMN_DEFAULT AS def FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = ? AND COLUMN_DEFAULT LIKE '%nextval(%'`, [db])
  for (const r of rows) {
    const def = r.def!.split(`nextval(${quoteIdent(from)}.`).join(`nextval(${quoteIdent(db)}.`)
    if (def === r.def) continue
    await conn.query(`ALTER TABLE ${quoteIdent(db)}.${quoteIdent(r.tbl!)} ALTER COLUMN ${quoteIdent(r.col!)} SET DEFAULT ${def}`)
  }
}

/** One RENAME TABLE for every move (atomic). */
async function renameTables(conn: MysqlConn, moves: readonly Move[]): Promise<void> {
  if (moves.length > 0) await conn.query(`RENAME TABLE ${moves.map(([from, to]) => `${from} TO ${to}`).join(', ')}`)
}

/**
 * The backup database is created before the one RENAME TABLE, which moves every table at once:
 * tables in the backup mean it ran. A shadow still there means the swap stopped after it,
 * before views, triggers and routines were recreated and the emptied shadow was dropped.
 */
export async function swapSide(link: MysqlLink, live: Endpoint, shadow: string, backup: string): Promise<SwapSide> {
  const conn = await link.connectServer(live)
  try {
    const count = async (db: string) => Number((await conn.query(
      "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE')", [db]))[0]!.n)
    const shadowLeft = (await conn.query('SELECT 1 AS x FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [shadow])).length > 0
    if ((await count(backup)) === 0) {
      return shadowLeft ? { swapped: false } : { swapped: false, note: `neither ${backup} holds tables nor does ${shadow} exist` }
    }
    return shadowLeft
      ? { swapped: true, note: `the swap stopped right after its RENAME TABLE: views, triggers and routines of ${live.database} may be missing (recreate them from the run directory's schema/migrated-*.sql), and ${shadow} (emptied) is left to drop` }
      : { swapped: true }
  } finally {
    await conn.close()
  }
}
