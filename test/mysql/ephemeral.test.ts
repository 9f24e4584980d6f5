/**
 * staging: 'ephemeral' on MariaDB: drydock starts a throwaway server from the host's
 * mariadbd in the run directory (as the mysql user when run as root), loads, verifies and
 * migrates there, and removes it afterwards; the swap happens on the real server.
 */
import { chmodSync, readFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import type { MysqlSession } from '../../pipeline/drivers/mysql/mysql-session.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databaseState, dropDatabasesWithPrefix, myUrl, rowsAsText, sql, uniquePrefix } from '../helpers/mysql.ts'

const prefix = uniquePrefix('eph')
const live = `${prefix}_live`

describe('ephemeral MariaDB staging', () => {
  let before: Awaited<ReturnType<typeof databaseState>>

  beforeAll(async () => {
    await createDatabase(live)
    await sql(live, `
      CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) CHARACTER SET latin1, price DECIMAL(10, 2), data BLOB);
      INSERT INTO items (name, price, data) SELECT CONCAT('item é ', seq), seq / 4, UNHEX(SHA2(seq, 256)) FROM seq_1_to_2000;
      CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
      CREATE TRIGGER items_name BEFORE INSERT ON items FOR EACH ROW SET NEW.name = TRIM(NEW.name);`)
    before = await databaseState(live)
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('upgrades through a throwaway server and removes it', async () => {
    const dir = tempDir('my-eph')
    writeFile(dir, 'up.sql', 'ALTER TABLE items ADD COLUMN sku VARCHAR(20) NULL;\nUPDATE items SET sku = CONCAT(\'SKU-\', id);\n')
    const config = configIn(dir, { source: myUrl(live), staging: 'ephemeral', migrate: [{ sql: 'up.sql' }] })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const manifest = readManifest(result.runDir)
    expect(manifest.staging.kind).toBe('ephemeral')
    expect(manifest.staging.endpoint).toMatch(/^mysql:\/\/root@127\.0\.0\.1:\d+\//)
    expect(manifest.staging.version).toMatch(/MariaDB/)
    const stagingDir = join(result.runDir, 'staging')
    // Only a note of where the server lived may stay (LOCATION, when the mysql user could not reach the run directory).
    expect(existsSync(stagingDir) ? readdirSync(stagingDir).filter((f) => f !== "LOCATION") : []).toEqual([])
    expect(result.report.hop1.verified).toBe(1)
    expect(result.report.hop2.verified).toBe(1)
    const rows = await rowsAsText(live, 'items', 'id')
    expect(rows).toHaveLength(2000)
    expect(rows[0]!.slice(1, 3)).toEqual(['item é 1', '0.25'])
    expect(rows[1999]![4]).toBe('SKU-2000')
    expect((await sql(live, 'SELECT COUNT(*) AS n FROM cheap'))[0]!.n).toBe('39')
    const backup = manifest.swap!.backup
    expect(await databaseState(backup)).toEqual(before)
  })

  it('keeps the socket path short when the folder is deep, and cleans up on stop', async () => {
    const base = tempDir('my-deep')
    chmodSync(base, 0o711)
    const dir = join(base, 'a-rather-long-folder-name-for-a-run-directory', 'and-another-level-below-it-too', 'staging')
    mkdirSync(dir, { recursive: true })
    const server = await mysqlDriver.startEphemeral(dir, { major: 0, logFile: join(base, 'tool.log'), superuser: 'root' })
    try {
      expect(server.endpoint.host).toBe('127.0.0.1')
      const info = await mysqlDriver.probe(server.endpoint)
      expect(info.version).toMatch(/MariaDB/)
      const session = (await mysqlDriver.connect(server.endpoint)) as MysqlSession
      const [row] = await session.conn.query('SELECT @@log_bin AS log_bin, @@local_infile AS local_infile, @@socket AS socket, @@tmpdir AS tmp')
      await session.close()
      expect(row).toMatchObject({ log_bin: '0', local_infile: '1' })
      expect(row!.socket!.length).toBeLessThanOrEqual(100)
      // As root the server's folder is one the mysql user owns, named in LOCATION (the run directory stays 0700).
      const location = join(dir, 'LOCATION')
      const folder = existsSync(location) ? readFileSync(location, 'utf8').split('\n')[0]! : dir
      expect(row!.tmp!.startsWith(folder)).toBe(true)
    } finally {
      await server.stop()
    }
    expect(existsSync(server.dataDir)).toBe(false)
  })

  it('names what to install when no server of the wanted version is there', async () => {
    const error = await expectDrydockError(
      mysqlDriver.startEphemeral(tempDir('my-none'), { major: 5.07, logFile: '/dev/null', superuser: 'root' }), 'DD_STAGING_BINARIES_MISSING')
    expect(error.message).toMatch(/no MySQL 5\.7 server binaries found .*\(found 10\.\d+\.\d+/)
    expect(error.ctx.hint).toMatch(/apt-get install mariadb-server/)
  })
})
