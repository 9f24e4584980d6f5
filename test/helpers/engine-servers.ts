/** One face for both test servers (databases, digests, sessions), so a behaviour's suite runs per engine; engines.ts adds the small app and its upgrade. */
import * as my from './mysql.ts'
import * as pg from './postgres.ts'
import { chosenEngines } from './engine-choice.ts'

export interface TestEngine {
  readonly name: 'postgres' | 'mysql'
  uniquePrefix(tag: string): string
  url(database: string): string
  createDatabase(name: string): Promise<void>
  databaseExists(name: string): Promise<boolean>
  databasesWithPrefix(prefix: string): Promise<string[]>
  dropDatabasesWithPrefix(prefix: string): Promise<void>
  /** Per table: rows and a digest, keyed by the table's name (`schema.table` on PostgreSQL). */
  tableDigests(database: string): Promise<Record<string, string>>
  /** Runs SQL (several statements allowed). */
  sql(database: string, text: string): Promise<unknown>
  /** Statements for the engine's own table `item (id, label)` with `rows` rows. */
  seedSql(rows: number): string
  /** A shell command (for a hook) that runs `statement` in `database`. */
  shellSql(database: string, statement: string): string
  /** Sessions that hold a transaction open on `database`, drydock's included. */
  sessionsInTransaction(database: string): Promise<number>
}

const postgres: TestEngine = {
  name: 'postgres',
  uniquePrefix: pg.uniquePrefix,
  url: (database) => pg.pgUrl(database),
  createDatabase: pg.createDatabase,
  databaseExists: pg.databaseExists,
  databasesWithPrefix: pg.databasesWithPrefix,
  dropDatabasesWithPrefix: pg.dropDatabasesWithPrefix,
  tableDigests: pg.tableDigests,
  seedSql: (rows) => `CREATE TABLE public.item (id serial PRIMARY KEY, label text NOT NULL);
    INSERT INTO public.item (label) SELECT repeat(md5(i::text), 4) FROM generate_series(1, ${rows}) i;`,
  shellSql: (database, statement) => `psql -h ${pg.PG_HOST} -p ${pg.PG_PORT} -U ${pg.PG_USER} -d "${database}" -v ON_ERROR_STOP=1 -c "${statement}"`,
  sessionsInTransaction: async (database) => Number((await pg.sql(pg.PG_ADMIN_DB,
    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'", [database]))[0]?.n),
  sql: (database, text) => pg.sql(database, text),
}

const mysql: TestEngine = {
  name: 'mysql',
  uniquePrefix: my.uniquePrefix,
  url: (database) => my.myUrl(database),
  createDatabase: my.createDatabase,
  databaseExists: my.databaseExists,
  databasesWithPrefix: my.databasesWithPrefix,
  dropDatabasesWithPrefix: my.dropDatabasesWithPrefix,
  tableDigests: (database) => my.tableDigests(database),
  sql: (database, text) => my.sql(database, text),
  seedSql: (rows) => `CREATE TABLE item (id int AUTO_INCREMENT PRIMARY KEY, label text NOT NULL);
    INSERT INTO item (label) SELECT REPEAT(MD5(seq), 4) FROM seq_1_to_${rows};`,
  shellSql: (database, statement) => `mariadb -h ${my.MY_HOST} -P ${my.MY_PORT} -u ${my.MY_USER} "${database}" -e "${statement}"`,
  sessionsInTransaction: async (database) => Number((await my.sql(null,
    'SELECT count(*) AS n FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.DB = ?', [database]))[0]?.n),
}

/** Both engines, or those DD_TEST_ENGINES names. */
export const ENGINES: readonly TestEngine[] = chosenEngines([postgres, mysql], (e) => e.name)

