import { randomBytes } from 'node:crypto'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'

/**
 * Which candidate indexes (mysql-create-table.ts) were declared rather than made by their
 * foreign key. The server keeps that in the table's definition, in no catalog view; it shows
 * in what the server does: a TEMPORARY copy made with CREATE TABLE … LIKE (the flag travels,
 * the foreign keys do not) that gets another index over the same columns loses an index the
 * server made, never a declared one. Temporary tables live in this session only: nothing is
 * created that another session, a replica or the binary log could see (the session also turns
 * its binary log off where it may, for statement-format logs). Returns, per table, the declared
 * candidates; undefined when the probe is refused (then every candidate counts as made by its key).
 */
export async function declaredIndexes(conn: MysqlConn, candidates: ReadonlyMap<string, readonly { index: string; columns: readonly string[] }[]>): Promise<Map<string, Set<string>> | undefined> {
  if (candidates.size === 0) return new Map()
  const [current] = await conn.query('SELECT DATABASE() AS db')
  const db = current!.db!
  const tag = randomBytes(4).toString('hex')
  await conn.query('SET SESSION sql_log_bin = 0').catch(() => {})
  const out = new Map<string, Set<string>>()
  try {
    let n = 0
    for (const [table, indexes] of candidates) {
      const copy = quoteIdent(`dd_probe_${tag}_${n++}`)
      try {
        await conn.query(`CREATE TEMPORARY TABLE ${copy} LIKE ${quoteIdent(db)}.${quoteIdent(table)}`)
        await conn.query(`ALTER TABLE ${copy} ${indexes.map((c, i) => `ADD KEY ${quoteIdent(`dd_probe_${i}_${tag}`)} (${c.columns.map(quoteIdent).join(', ')})`).join(', ')}`)
        const left = new Set((await conn.query(`SHOW INDEX FROM ${copy}`)).map((r) => r.Key_name!))
        out.set(table, new Set(indexes.map((c) => c.index).filter((name) => left.has(name))))
      } finally {
        await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${copy}`).catch(() => {})
      }
    }
  } catch {
    return undefined
  }
  return out
}
