/**
 * Fresh copies of the generated bench database on the window bench's production server, made
 * without writing the WAL / binary log that is measured afterwards (PostgreSQL: a file-copy
 * template clone and a checkpoint; MariaDB: the fixture schema then INSERT … SELECT with
 * sql_log_bin = 0), and dropped with whatever drydock left beside them (backups, shadows).
 */
import { fileURLToPath } from 'node:url'
import { counts, generateMysql, mysqlCli } from '../generate-mysql.mjs'
import { generatePg } from '../generate-pg.mjs'
import { must, q } from '../sh.mjs'
import type { ProductionServer } from './production-server.ts'

const MYSQL_SCHEMA = fileURLToPath(new URL('../../../fixtures/patchwork/mysql/schema.sql', import.meta.url))
export const TEMPLATE = 'dd_bench_gen'

/** Generates the template database, unless a reused server already holds one of this scale. */
export async function generateTemplate(server: ProductionServer, scale: number, log: (line: string) => void): Promise<void> {
  if (server.reused && (await templateRows(server)) === counts(scale).submissions) {
    log(`reusing ${TEMPLATE} (scale ${scale})`)
    return
  }
  if (server.engine === 'pg') await generatePg(TEMPLATE, scale, log, server.cli)
  else await generateMysql(TEMPLATE, scale, log, server.cli)
}

async function templateRows(server: ProductionServer): Promise<number> {
  try {
    return Number((await server.sql(TEMPLATE, 'SELECT count(*) AS n FROM patchwork_submission'))[0]!.n)
  } catch {
    return -1
  }
}

export async function freshCopy(server: ProductionServer, name: string): Promise<void> {
  await dropCopy(server, name)
  if (server.engine === 'pg') {
    await server.sql('postgres', `CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE}" STRATEGY FILE_COPY`)
    await server.sql('postgres', 'CHECKPOINT')
    return
  }
  await server.sql('mysql', `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  await must(`${mysqlCli(name, '--init-command="SET SESSION sql_log_bin = 0"', server.cli)} < ${q(MYSQL_SCHEMA)}`)
  const columns = await server.sql('information_schema', `SELECT TABLE_NAME AS t, GROUP_CONCAT(CONCAT('\`', COLUMN_NAME, '\`') ORDER BY ORDINAL_POSITION) AS cols
    FROM COLUMNS WHERE TABLE_SCHEMA = '${TEMPLATE}' AND IS_GENERATED = 'NEVER' GROUP BY TABLE_NAME`)
  const copy = columns.map((c) => `INSERT INTO \`${name}\`.\`${c.t}\` (${c.cols}) SELECT ${c.cols} FROM \`${TEMPLATE}\`.\`${c.t}\`;`)
  await server.sql('mysql', `SET SESSION sql_log_bin = 0, foreign_key_checks = 0, unique_checks = 0, group_concat_max_len = 1048576; ${copy.join(' ')}
    ANALYZE NO_WRITE_TO_BINLOG TABLE ${columns.map((c) => `\`${name}\`.\`${c.t}\``).join(', ')};`)
}

/** Drops `name` and every database drydock made from it (`<name>_dd_backup_…`, `<name>_dd_shadow_…`). */
export async function dropCopy(server: ProductionServer, name: string): Promise<void> {
  const like = `${name.replace(/_/g, '\\_')}%`
  if (server.engine === 'pg') {
    const rows = await server.sql('postgres', `SELECT datname FROM pg_database WHERE datname LIKE '${like}'`)
    for (const r of rows) await server.sql('postgres', `DROP DATABASE "${r.datname}" WITH (FORCE)`)
  } else {
    const rows = await server.sql('mysql', `SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${like}'`)
    for (const r of rows) await server.sql('mysql', `SET SESSION sql_log_bin = 0; DROP DATABASE \`${r.s}\``)
  }
}

/** A table's size on production (heap + indexes + TOAST / InnoDB data + indexes), bytes. */
export async function tableBytes(server: ProductionServer, db: string, table: string): Promise<number> {
  if (server.engine === 'pg') return Number((await server.sql(db, `SELECT pg_total_relation_size('public.${table}')::bigint AS b`))[0]!.b)
  const rows = await server.sql(db, `SELECT DATA_LENGTH + INDEX_LENGTH AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}' AND TABLE_NAME = '${table}'`)
  return Number(rows[0]!.b)
}

/** Rows and bytes of the whole database (as the engine's catalog counts them after ANALYZE). */
export async function databaseRows(server: ProductionServer, db: string): Promise<number> {
  if (server.engine === 'pg') return Number((await server.sql(db, "SELECT sum(reltuples)::bigint AS n FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"))[0]!.n)
  return Number((await server.sql(db, `SELECT SUM(TABLE_ROWS) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}'`))[0]!.n)
}
