/**
 * What protects production on MariaDB: verification catches a staging row changed after the
 * load, a failing SQL step stops the run with its output, migration commands get the staging
 * connection (and only it) in MYSQL_* and DATABASE_URL, and connection problems name the
 * host and user, never the password.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import type { StageName } from '../../pipeline/errors.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, onlyRun, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import {
  createDatabase, databaseExists, databasesWithPrefix, databaseState, dropDatabasesWithPrefix, myUrl, rowsAsText, sql, uniquePrefix,
} from '../helpers/mysql.ts'

const prefix = uniquePrefix('safe')

const APP = `
CREATE TABLE accounts (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, balance DECIMAL(12, 2) NOT NULL DEFAULT 0);
CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, account_id INT NOT NULL, placed_at DATETIME(6) NOT NULL,
  CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id));
INSERT INTO accounts (email, balance) SELECT CONCAT('user', seq, '@example.com'), seq * 1.5 FROM seq_1_to_50;
INSERT INTO orders (account_id, placed_at) SELECT 1 + seq % 50, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq HOUR FROM seq_1_to_500;
`

async function appDatabase(name: string): Promise<void> {
  await createDatabase(name)
  await sql(name, APP)
}

describe('MariaDB safety nets', () => {
  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  describe('verification', () => {
    const source = `${prefix}_verify`
    let before: Awaited<ReturnType<typeof databaseState>>
    beforeAll(async () => {
      await appDatabase(source)
      before = await databaseState(source)
    })

    it('catches a staging row changed after the load and leaves production alone', async () => {
      const dir = tempDir('my-verify')
      const config = configIn(dir, { source: myUrl(source), staging: myUrl(`${prefix}_vstg`) })
      let tampered = false
      const afterStage = async (stage: StageName, ctx: RunContext) => {
        if (stage !== 'load') return
        await sql(ctx.staging!.database, 'UPDATE accounts SET balance = balance + 0.01 WHERE id = 7')
        tampered = true
      }
      const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage }), 'DD_VERIFY_MISMATCH')
      expect(tampered).toBe(true)
      expect(error.message).toContain(`${source}.accounts`)
      expect(error.message).toMatch(/same row count \(50\) but different content/)
      const report = readReport(onlyRun(config))
      expect(report.hop1.tables.find((t) => t.table.endsWith('.accounts'))?.check).toBe('mismatch')
      expect(report.hop1.tables.find((t) => t.table.endsWith('.orders'))?.check).toBe('ok')
      expect(await databaseState(source)).toEqual(before)
      expect(await databasesWithPrefix(source)).toEqual([source])
    })
  })

  describe('swap', () => {
    const source = `${prefix}_busy`
    beforeAll(async () => appDatabase(source))

    it('refuses while another session uses the live database, and leaves it as it was', async () => {
      const before = await databaseState(source)
      const dir = tempDir('my-busy')
      const config = configIn(dir, { source: myUrl(source), staging: myUrl(`${prefix}_bstg`) })
      let app: mysql.Connection | undefined
      const afterStage = async (stage: StageName) => {
        if (stage === 'verify-hop2') app = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: source })
      }
      try {
        const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage }), 'DD_SWAP_BUSY')
        expect(error.message).toMatch(new RegExp(`id ${app!.threadId} \\(root@.*db ${source}\\)`))
      } finally {
        await app?.end()
      }
      expect(await databaseState(source)).toEqual(before)
      expect(await databasesWithPrefix(source)).toEqual([source])
    })
  })

  describe('migration steps', () => {
    const source = `${prefix}_steps`
    beforeAll(async () => appDatabase(source))

    it('gives commands the staging connection in MYSQL_* and DATABASE_URL', async () => {
      const dir = tempDir('my-env')
      const staging = `${prefix}_estg`
      const command = [
        'env | grep -E "^(MYSQL_|DATABASE_URL=)" | sort > env.txt',
        'mariadb --protocol=TCP -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_USER" "$MYSQL_DATABASE"'
          + ' -e "ALTER TABLE accounts ADD COLUMN nickname VARCHAR(50); UPDATE accounts SET nickname = SUBSTRING_INDEX(email, \'@\', 1)"',
      ].join(' && ')
      const config = configIn(dir, { source: myUrl(source), staging: myUrl(staging), migrate: [{ command }] })
      const result = await runUpgrade(config, RUN_OPTIONS)
      expect(result.report.verdict).toBe('verified')
      const env = Object.fromEntries(readFileSync(join(dir, 'env.txt'), 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)))
      expect(env).toMatchObject({
        MYSQL_HOST: '127.0.0.1', MYSQL_PORT: '3306', MYSQL_USER: 'root', MYSQL_PWD: '', MYSQL_DATABASE: staging,
        DATABASE_URL: myUrl(staging),
      })
      expect((await rowsAsText(source, 'accounts', 'id'))[6]).toEqual(['7', 'user7@example.com', '10.50', 'user7'])
    })

    it('stops at a failing SQL file with its error and keeps production as it was', async () => {
      const before = await databaseState(source)
      const dir = tempDir('my-fail')
      writeFile(dir, '01-ok.sql', 'CREATE TABLE audit (id INT PRIMARY KEY);\n')
      writeFile(dir, '02-bad.sql', 'INSERT INTO audit VALUES (1);\nALTER TABLE no_such_table ADD COLUMN x INT;\nINSERT INTO audit VALUES (2);\n')
      const config = configIn(dir, { source: myUrl(source), staging: myUrl(`${prefix}_fstg`), migrate: [{ sql: '*.sql' }] })
      const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
      expect(error.message).toMatch(/02-bad\.sql/)
      expect(error.message).toMatch(/no_such_table/)
      expect(error.ctx.stage).toBe('migrate')
      expect(await databaseState(source)).toEqual(before)
      // Staging is kept for --resume (and discarded by --cleanup).
      expect(await databaseExists(`${prefix}_fstg`)).toBe(true)
    })
  })

  describe('connection errors', () => {
    it('names an unreachable server', async () => {
      const error = await expectDrydockError(mysqlDriver.probe(parseEndpoint('mysql://root@127.0.0.1:1/x', 'source')), 'DD_UNREACHABLE')
      expect(error.message).toMatch(/cannot reach MySQL at 127\.0\.0\.1:1/)
    })

    it('names host and user on a refused login, never the password', async () => {
      const error = await expectDrydockError(mysqlDriver.probe(parseEndpoint('mysql://nobody_here:s3cret-pw@127.0.0.1:3306/mysql', 'source')), 'DD_AUTH_FAILED')
      expect(error.message).toMatch(/127\.0\.0\.1:3306/)
      expect(error.message).toMatch(/nobody_here/)
      expect(`${error.message} ${error.ctx.hint}`).not.toContain('s3cret-pw')
    })

    it('names a missing database', async () => {
      const error = await expectDrydockError(mysqlDriver.probe(parseEndpoint(`mariadb://root@127.0.0.1:3306/${prefix}_nope`, 'source')), 'DD_DATABASE_MISSING')
      expect(error.message).toContain(`${prefix}_nope`)
    })
  })
})
