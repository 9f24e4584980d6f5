// MariaDB anchors on the same source database, each into a fresh database: mysqldump | mysql,
// mydumper + myloader, and checksums (pt-table-checksum standalone, CHECKSUM TABLE, COUNT(*)).
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { dropMysql, MY, mysqlCli } from './generate-mysql.mjs'
import { must, q, runTimed } from './sh.mjs'

const conn = `--protocol=TCP -h ${MY.host} -P ${MY.port} -u ${MY.user}`

export async function mysqlTables(db) {
  const r = await must(`${mysqlCli(db, '-N -B')} -e ${q(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
    ORDER BY DATA_LENGTH + INDEX_LENGTH DESC`)}`)
  return r.stdout.trim().split('\n').filter(Boolean)
}

async function freshDb(db) {
  await dropMysql(db)
  await must(`${mysqlCli()} -e ${q(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)}`)
}

export async function mysqldumpPipe(src) {
  const tgt = `${src}_mysqldump`
  await freshDb(tgt)
  const r = await must(`mysqldump --no-defaults ${conn} --single-transaction --default-character-set=utf8mb4 ${q(src)} | ${mysqlCli(tgt)}`)
  await dropMysql(tgt)
  return { total: r.seconds }
}

/** mydumper with --rows chunks (its way to split big tables across threads), then myloader. */
export async function mydumperLoader(src, jobs, workDir) {
  const tgt = `${src}_myloader`
  const dir = join(workDir, 'mydumper')
  rmSync(dir, { recursive: true, force: true })
  const dump = await must(`mydumper ${conn.replace('--protocol=TCP ', '')} -B ${q(src)} -t ${jobs} --rows 100000 -o ${q(dir)}`)
  await freshDb(tgt)
  const load = await must(`myloader -h ${MY.host} -P ${MY.port} -u ${MY.user} -B ${q(tgt)} -s ${q(src)} -t ${jobs} -d ${q(dir)} -o`)
  rmSync(dir, { recursive: true, force: true })
  await dropMysql(tgt)
  return { dump: dump.seconds, load: load.seconds, total: dump.seconds + load.seconds }
}

/**
 * pt-table-checksum on a standalone server: no replicas to find, no binlog format to check.
 * It writes its results to percona.checksums (created, then dropped).
 */
export async function ptTableChecksum(src) {
  const r = await runTimed(`pt-table-checksum h=${MY.host},P=${MY.port},u=${MY.user} --databases ${q(src)} --no-check-replication-filters --no-check-binlog-format --recursion-method=none --replicate=percona.checksums --create-replicate-table --no-version-check --chunk-time=0.5`)
  await must(`${mysqlCli()} -e 'DROP DATABASE IF EXISTS percona'`)
  // Exit status is a bit mask of warnings (e.g. 32 = a chunk was skipped); a checksum ran if rows were printed.
  if (!/\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+\S+\.\S+/.test(r.stdout)) return { error: (r.stderr || r.stdout).slice(-300) }
  return { total: r.seconds, exit: r.code }
}

export async function checksumSqlMysql(src, jobs, tables) {
  const each = (sql) => must(`printf '%s\\n' ${tables.map(q).join(' ')} | xargs -P ${jobs} -I{} ${mysqlCli(src, '-N -B')} -e ${q(sql)} >/dev/null`)
  return {
    count: (await each('SELECT COUNT(*) FROM `{}`')).seconds,
    checksumTable: (await each('CHECKSUM TABLE `{}`')).seconds,
  }
}
