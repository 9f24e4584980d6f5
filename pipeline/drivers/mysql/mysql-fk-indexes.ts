import { randomBytes } from 'node:crypto'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'

/**
 * Which candidate indexes (mysql-create-table.ts) were declared rather than made by their
 * foreign key. The server keeps that in the table's definition file, in no catalog view; it
 * shows in what the server does: a copy made with CREATE TABLE … LIKE (the flag travels, the
 * foreign keys do not) that gets another index over the same columns loses an index the
 * server made, never a declared one. The empty copies go into a scratch database beside the
 * connection's (`<db>_dd_probe_<random>`, dropped at once). Returns, per table, the declared
 * candidates; undefined when the scratch database cannot be made (no privilege, name too
 * long): then every candidate counts as made by its key.
 */
export async function declaredIndexes(conn: MysqlConn, candidates: ReadonlyMap<string, readonly { index: string; columns: readonly string[] }[]>): Promise<Map<string, Set<string>> | undefined> {
  if (candidates.size === 0) return new Map()
  const [current] = await conn.query('SELECT DATABASE() AS db')
  const db = current!.db!
  const scratch = `${db}_dd_probe_${randomBytes(4).toString('hex')}`
  if (scratch.length > 64) return undefined
  try {
    await conn.query(`CREATE DATABASE ${quoteIdent(scratch)}`)
  } catch {
    return undefined
  }
  try {
    const out = new Map<string, Set<string>>()
    for (const [table, indexes] of candidates) {
      const copy = `${quoteIdent(scratch)}.${quoteIdent(table)}`
      await conn.query(`CREATE TABLE ${copy} LIKE ${quoteIdent(db)}.${quoteIdent(table)}`)
      await conn.query(`ALTER TABLE ${copy} ${indexes.map((c, i) => `ADD KEY ${quoteIdent(`dd_probe_${i}_${scratch.slice(-8)}`)} (${c.columns.map(quoteIdent).join(', ')})`).join(', ')}`)
      const left = new Set((await conn.query('SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [scratch, table])).map((r) => r.name!))
      out.set(table, new Set(indexes.map((c) => c.index).filter((name) => left.has(name))))
    }
    return out
  } finally {
    await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)}`).catch(() => {})
  }
}
