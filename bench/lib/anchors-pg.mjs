// PostgreSQL anchors, each on the same source database, each into a fresh database:
// raw COPY pipes (the floor), pg_dump -Fd -j N + pg_restore -j N, pgcopydb clone, and
// whole-table checksum SQL (count(*), sum(hashtext), 64 bits of md5).
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { dropPg, PG, pgUrl, psql } from './generate-pg.mjs'
import { must, q, runTimed } from './sh.mjs'

const conn = `-h ${PG.host} -p ${PG.port} -U ${PG.user}`

/** Tables of the bench database, largest first (as every tool orders them). */
export async function pgTables(db) {
  const r = await must(`${psql(db, '-At')} -c ${q(`SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY pg_total_relation_size(c.oid) DESC`)}`)
  return r.stdout.trim().split('\n').filter(Boolean)
}

async function freshDb(db) {
  await dropPg(db)
  await must(`${psql('postgres')} -c ${q(`CREATE DATABASE "${db}" TEMPLATE template0 ENCODING 'UTF8'`)}`)
}

/** Runs one command per table, `jobs` at a time (xargs -P), largest table first. */
function perTable(tables, jobs, command) {
  return `printf '%s\\n' ${tables.map(q).join(' ')} | xargs -P ${jobs} -I{} bash -o pipefail -c ${q(command)}`
}

/** Per-table COPY pipes into a database that already has the pre-data schema; post-data timed apart. */
export async function rawCopy(src, jobs, tables) {
  const tgt = `${src}_raw`
  await freshDb(tgt)
  await must(`pg_dump ${conn} --schema-only --section=pre-data ${q(src)} | ${psql(tgt)}`)
  const data = await must(perTable(tables, jobs, `psql -X ${conn} -d ${src} -c 'COPY {} TO STDOUT' | psql -X -q ${conn} -d ${tgt} -c 'COPY {} FROM STDIN'`))
  const post = await must(`pg_dump ${conn} --section=post-data ${q(src)} | ${psql(tgt)}`)
  await dropPg(tgt)
  return { data: data.seconds, post: post.seconds, total: data.seconds + post.seconds }
}

export async function dumpRestore(src, jobs, workDir) {
  const tgt = `${src}_restore`
  const dir = join(workDir, 'pg_dump_dir')
  rmSync(dir, { recursive: true, force: true })
  const dump = await must(`pg_dump ${conn} -Fd -j ${jobs} -f ${q(dir)} ${q(src)}`)
  await freshDb(tgt)
  const restore = await must(`pg_restore ${conn} -j ${jobs} -d ${q(tgt)} ${q(dir)}`)
  rmSync(dir, { recursive: true, force: true })
  await dropPg(tgt)
  return { dump: dump.seconds, restore: restore.seconds, total: dump.seconds + restore.seconds }
}

export async function pgcopydbClone(src, jobs, workDir) {
  const tgt = `${src}_pgcopydb`
  const dir = join(workDir, 'pgcopydb')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  await freshDb(tgt)
  const r = await runTimed(`pgcopydb clone --source ${q(pgUrl(src))} --target ${q(pgUrl(tgt))} --table-jobs ${jobs} --index-jobs ${jobs} --dir ${q(dir)} --no-owner`)
  rmSync(dir, { recursive: true, force: true })
  await dropPg(tgt)
  if (r.code !== 0) return { error: r.stderr.split('\n').filter((l) => /ERROR|FATAL/.test(l)).slice(-3).join(' | ') || `exit ${r.code}` }
  return { total: r.seconds, rssKb: r.rssKb }
}

/** One aggregate per table over `jobs` psql sessions; seconds for all tables. */
async function aggregate(src, jobs, tables, expr) {
  const r = await must(perTable(tables, jobs, `psql -X -At ${conn} -d ${src} -c "SELECT ${expr.replace(/"/g, '\\"')} FROM ONLY {} AS t" >/dev/null`))
  return r.seconds
}

export async function checksumSql(src, jobs, tables) {
  return {
    count: await aggregate(src, jobs, tables, 'count(*)'),
    hashtext: await aggregate(src, jobs, tables, 'count(*), sum(hashtext(t::text))'),
    md5: await aggregate(src, jobs, tables, "count(*), sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric)"),
  }
}
