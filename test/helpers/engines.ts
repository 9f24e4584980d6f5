/**
 * One table of what a shared test needs from each engine, so one suite runs on both:
 * `describe.each(ENGINES)('… on $name', (engine) => …)`.
 */
import * as my from './mysql.ts'
import * as pg from './postgres.ts'
import { chosenEngines } from './engine-choice.ts'
import { createAppDatabase } from './fixture.ts'

export interface TestEngine {
  readonly name: 'PostgreSQL' | 'MariaDB'
  readonly engine: 'postgres' | 'mysql'
  uniquePrefix(tag: string): string
  url(database: string): string
  /** A small app: accounts (50 rows) and orders (500 rows, a foreign key to accounts). */
  createApp(database: string): Promise<void>
  /** An upgrade of that app: a new column filled from data, an index, a dropped column, a new table. */
  readonly upgradeSql: string
  /** Schema text and per-table digests: equal states mean equal databases. */
  state(database: string): Promise<{ schema: string; data: Record<string, string> }>
  /** An empty database (UTF-8). */
  createDatabase(database: string): Promise<void>
  exists(database: string): Promise<boolean>
  withPrefix(prefix: string): Promise<string[]>
  dropWithPrefix(prefix: string): Promise<void>
  query(database: string, text: string): Promise<Record<string, string | null>[]>
}

const MY_APP = `
CREATE TABLE accounts (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, balance DECIMAL(12, 2) NOT NULL DEFAULT 0);
CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, account_id INT NOT NULL, placed_at DATETIME(6) NOT NULL, items JSON NOT NULL,
  CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id));
INSERT INTO accounts (email, balance) SELECT CONCAT('user', seq, '@example.com'), seq * 1.5 FROM seq_1_to_50;
INSERT INTO orders (account_id, placed_at, items) SELECT 1 + seq % 50, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq HOUR, JSON_ARRAY(seq) FROM seq_1_to_500;
`

export const POSTGRES: TestEngine = {
  name: 'PostgreSQL',
  engine: 'postgres',
  uniquePrefix: pg.uniquePrefix,
  url: (database) => pg.pgUrl(database),
  createApp: createAppDatabase,
  upgradeSql: `
ALTER TABLE accounts ADD COLUMN nickname text;
UPDATE accounts SET nickname = split_part(email, '@', 1);
CREATE INDEX accounts_nickname_idx ON accounts (nickname);
ALTER TABLE orders DROP COLUMN items;
CREATE TABLE audit (id serial PRIMARY KEY, what text);
INSERT INTO audit (what) VALUES ('upgraded');
`,
  state: pg.databaseState,
  createDatabase: pg.createDatabase,
  exists: pg.databaseExists,
  withPrefix: pg.databasesWithPrefix,
  dropWithPrefix: pg.dropDatabasesWithPrefix,
  query: (database, text) => pg.sql(database, text),
}

export const MARIADB: TestEngine = {
  name: 'MariaDB',
  engine: 'mysql',
  uniquePrefix: my.uniquePrefix,
  url: (database) => my.myUrl(database),
  createApp: async (database) => {
    await my.createDatabase(database)
    await my.sql(database, MY_APP)
  },
  upgradeSql: `
ALTER TABLE accounts ADD COLUMN nickname VARCHAR(100);
UPDATE accounts SET nickname = SUBSTRING_INDEX(email, '@', 1);
CREATE INDEX accounts_nickname_idx ON accounts (nickname);
ALTER TABLE orders DROP COLUMN items;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100));
INSERT INTO audit (what) VALUES ('upgraded');
`,
  state: (database) => my.databaseState(database),
  createDatabase: my.createDatabase,
  exists: my.databaseExists,
  withPrefix: my.databasesWithPrefix,
  dropWithPrefix: my.dropDatabasesWithPrefix,
  query: (database, text) => my.sql(database, text),
}

/** Both engines, or those DD_TEST_ENGINES names. */
export const ENGINES: readonly TestEngine[] = chosenEngines([POSTGRES, MARIADB], (e) => e.engine)
