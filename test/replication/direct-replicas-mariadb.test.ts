/**
 * No replication flood (issue 12) against a REAL MariaDB primary (binary log, ROW format) and
 * its replica: the load back writes the copy into the primary and into the replica directly,
 * with the binary log off, so the binary log holds no row event of it; the replica's copy is
 * verified; the swap's RENAME TABLE replicates and both servers end equal; --rollback
 * replicates too. A replica drydock may not write makes the load go through the log, with a
 * warning, and the replica still ends equal.
 */
import { readFileSync } from 'node:fs'
import mysql from 'mysql2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { ManifestStore, runPaths } from '../../pipeline/run-state/run-dir.ts'
import { preflight } from '../../pipeline/safety/preflight/preflight.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { rollbackRun } from '../../pipeline/stages/swap/swap-stage.ts'
import { configIn, expectDrydockError, readManifest, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { dropDatabasesWithPrefix, myUrl, uniquePrefix } from '../helpers/mysql.ts'
import { hasMariadbBinaries, type MariadbPair, startMariadbPair } from '../throttle/mariadb-pair.ts'

const PASSWORD = 's3cret-binlog-pw'
const prefix = uniquePrefix('binlog')
let pair: MariadbPair
const url = (port: number, db: string, user = 'drydock', password = PASSWORD) => `mysql://${user}:${password}@127.0.0.1:${port}/${db}`

const SEED = [
  'CREATE TABLE tags (id INT PRIMARY KEY, t VARCHAR(20))',
  'CREATE TABLE logs (id INT PRIMARY KEY AUTO_INCREMENT, msg TEXT)',
  'CREATE TABLE orders (id INT PRIMARY KEY, amount INT, KEY (amount))',
  'CREATE TRIGGER orders_bi BEFORE INSERT ON orders FOR EACH ROW SET NEW.amount = COALESCE(NEW.amount, 0)',
  'CREATE VIEW big_orders AS SELECT id FROM orders WHERE amount > 100',
  "INSERT INTO tags VALUES (1, 'red'), (2, 'blue')",
  "INSERT INTO logs (msg) SELECT CONCAT('line ', seq) FROM seq_1_to_300",
  'INSERT INTO orders SELECT seq, seq * 7 FROM seq_1_to_2000',
]
const MIGRATION = 'UPDATE tags SET t = UPPER(t);\nALTER TABLE orders ADD COLUMN note VARCHAR(20) DEFAULT \'new\';\n'

/** Runs statements in database `db` of the primary, as drydock's account. */
async function onPrimary(db: string, statements: readonly string[]): Promise<void> {
  const conn = mysql.createConnection({ host: '127.0.0.1', port: pair.primaryPort, user: 'drydock', password: PASSWORD, database: db })
  try {
    for (const statement of statements) await conn.promise().query(statement)
  } finally {
    conn.destroy()
  }
}

/** CHECKSUM TABLE of every base table of `db` on one server, by name. */
async function checksums(on: 'primary' | 'replica', db: string): Promise<Record<string, string>> {
  const tables = await pair.sql(on, `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`)
  const out: Record<string, string> = {}
  for (const { t } of tables) {
    const [row] = await pair.sql(on, `CHECKSUM TABLE ${db}.${String(t)}`)
    out[String(t)] = String(row!.Checksum)
  }
  return out
}

async function schemaNames(on: 'primary' | 'replica', like: string): Promise<string[]> {
  return (await pair.sql(on, `SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${like}' ORDER BY 1`)).map((r) => String(r.s))
}

/** Until the replica has applied everything the primary logged so far. */
async function caughtUp(): Promise<void> {
  const [status] = await pair.sql('primary', 'SHOW MASTER STATUS')
  const [row] = await pair.sql('replica', `SELECT MASTER_POS_WAIT('${String(status!.File)}', ${String(status!.Position)}, 60) AS r`)
  expect(Number(row!.r)).toBeGreaterThanOrEqual(0)
}

async function replicationHealthy(): Promise<void> {
  const [status] = await pair.sql('replica', 'SHOW SLAVE STATUS')
  expect(status).toMatchObject({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Last_SQL_Errno: 0, Last_SQL_Error: '' })
}

/** Every binary log event between two `file:pos` positions (over rotated files). */
async function binlogEvents(from: string, to: string): Promise<{ type: string; info: string }[]> {
  const split = (p: string) => ({ file: p.slice(0, p.lastIndexOf(':')), pos: Number(p.slice(p.lastIndexOf(':') + 1)) })
  const a = split(from)
  const b = split(to)
  const files = (await pair.sql('primary', 'SHOW BINARY LOGS')).map((r) => String(r.Log_name)).filter((f) => f >= a.file && f <= b.file)
  const events: { type: string; info: string }[] = []
  for (const file of files) {
    for (const e of await pair.sql('primary', `SHOW BINLOG EVENTS IN '${file}'${file === a.file ? ` FROM ${a.pos}` : ''}`)) {
      if (file === b.file && Number(e.Pos) >= b.pos) break
      events.push({ type: String(e.Event_type), info: String(e.Info) })
    }
  }
  return events
}

/** Production database `db` on the primary, seeded and replicated; a config folder with the migration. */
async function production(db: string): Promise<string> {
  await pair.sql('primary', `CREATE DATABASE ${db}`)
  await onPrimary(db, SEED)
  await caughtUp()
  const dir = tempDir(`binlog-${db}`)
  writeFile(dir, 'migrate.sql', MIGRATION)
  return dir
}

/** The run's config: production on the primary, staging on the shared server, `extra` on top. */
function upgradeConfig(dir: string, db: string, extra: Record<string, unknown>) {
  return configIn(dir, { source: url(pair.primaryPort, db), staging: myUrl(`${prefix}_${db}_stg`), migrate: [{ sql: 'migrate.sql' }], ...extra })
}

const ROW_EVENTS = /^(Table_map|Write_rows|Update_rows|Delete_rows)/

describe.skipIf(!hasMariadbBinaries())('MariaDB primary and replica: load back without a replication flood', () => {
  beforeAll(async () => {
    pair = await startMariadbPair('drydock', PASSWORD)
  }, 90_000)

  afterAll(async () => {
    await pair?.stop()
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('loads the copy into primary and replica directly, no row event in the binary log; the swap and the rollback replicate', async () => {
    const db = 'app'
    const dir = await production(db)
    const before = await checksums('primary', db)
    expect(await checksums('replica', db)).toEqual(before)

    const config = upgradeConfig(dir, db, {
      replicas: [{ url: url(pair.replicaPort, db) }],
    })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const manifest = readManifest(result.runDir)
    const short = (key: string) => key.slice(key.lastIndexOf('.') + 1)
    expect(manifest.keep!.tables.map(short)).toEqual(['logs'])
    const replication = manifest.replication!
    expect(replication).toMatchObject({
      log: 'binlog', load: 'direct',
      replicas: [{ replica: `mysql://drydock@127.0.0.1:${pair.replicaPort}/${db}`, load: 'direct', verified: true, followedSwap: true }],
    })
    expect(replication.reason).toBeUndefined()
    const { loadback, loadbackEnd, swapEnd } = replication.positions

    // The load back wrote no row event and no statement about the shadow into the binary log.
    const shadow = manifest.target.shadow!
    const duringLoad = await binlogEvents(loadback!, loadbackEnd!)
    expect(duringLoad.filter((e) => ROW_EVENTS.test(e.type))).toEqual([])
    expect(duringLoad.filter((e) => e.info.includes(shadow))).toEqual([])
    expect(replication.bytes.loadback).toBe(0)
    // The swap replicated as statements: one RENAME TABLE, no row event either.
    const duringSwap = await binlogEvents(loadbackEnd!, swapEnd!)
    expect(duringSwap.filter((e) => ROW_EVENTS.test(e.type))).toEqual([])
    expect(duringSwap.filter((e) => e.type === 'Query' && e.info.includes('RENAME TABLE'))).toHaveLength(1)
    expect(replication.bytes.swap).toBeGreaterThan(0)
    expect(replication.bytes.total).toBe(replication.bytes.loadback! + replication.bytes.swap!)

    // The replica holds the swapped tables, equal to the primary's, and replicates on.
    await caughtUp()
    await replicationHealthy()
    const after = await checksums('primary', db)
    expect(after.tags).not.toBe(before.tags)
    expect(after.logs).toBe(before.logs)
    expect(await checksums('replica', db)).toEqual(after)
    expect(await pair.sql('replica', `SELECT t FROM ${db}.tags ORDER BY id`)).toEqual([{ t: 'RED' }, { t: 'BLUE' }])
    expect(await pair.sql('replica', `SELECT COUNT(*) AS n FROM ${db}.big_orders`)).toEqual([{ n: 1986 }])
    expect(await checksums('replica', manifest.target.backup!)).toEqual(await checksums('primary', manifest.target.backup!))
    expect(await schemaNames('replica', `${db}\\_dd\\_shadow%`)).toEqual([])
    expect(await schemaNames('primary', `${db}\\_dd\\_shadow%`)).toEqual([])
    // The report names it, without a password.
    expect(readReport(result.runDir).replication).toMatchObject({ load: 'direct' })
    const markdown = readFileSync(`${result.runDir}/report.md`, 'utf8')
    expect(markdown).toContain('No row went through the log: each replica was loaded directly.')
    expect(markdown).not.toContain(PASSWORD)
    const html = readFileSync(`${result.runDir}/report.html`, 'utf8')
    expect(html).toContain('<h2>Replication</h2>\n<p>binary log written on production: 0 B by the load back')
    expect(html).not.toContain(PASSWORD)

    // Rollback: the old tables come back on the primary, and by replication on the replica.
    const store = ManifestStore.load(runPaths(result.runDir).manifest)
    await rollbackRun(mysqlDriver, parseEndpoint(url(pair.primaryPort, db), 'source'), store)
    await caughtUp()
    await replicationHealthy()
    expect(await checksums('primary', db)).toEqual(before)
    expect(await checksums('replica', db)).toEqual(before)
  }, 240_000)

  it('a beforeSwap hook that writes the replica\'s verified copy stops the swap with DD_SHADOW_CHANGED; nothing is swapped anywhere', async () => {
    const db = 'fenced'
    const dir = await production(db)
    const before = await checksums('primary', db)
    // Written on the replica itself, outside replication, as a careless hook could.
    writeFile(dir, 'tamper.sh', `MYSQL_PWD=${PASSWORD} mariadb --no-defaults --protocol=TCP -h127.0.0.1 -P${pair.replicaPort} -udrydock -e "SET SESSION sql_log_bin = 0; UPDATE ${db}_dd_shadow_$(echo "$DRYDOCK_RUN_ID" | tr -d -).tags SET t = 'tampered' WHERE id = 1"\n`)
    const config = upgradeConfig(dir, db, {
      replicas: [{ url: url(pair.replicaPort, db) }], hooks: { beforeSwap: 'sh tamper.sh' },
    })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_SHADOW_CHANGED')
    expect(error.message).toContain(`mysql://drydock@127.0.0.1:${pair.replicaPort}/${db}_dd_shadow_`)
    expect(error.message).not.toContain(PASSWORD)
    await caughtUp()
    await replicationHealthy()
    expect(await checksums('primary', db)).toEqual(before)
    expect(await checksums('replica', db)).toEqual(before)
    // The failed run's shadow is dropped on the primary by a logged DROP DATABASE, so on the replica too.
    expect(await schemaNames('primary', `${db}\\_dd\\_shadow%`)).toEqual([])
    expect(await schemaNames('replica', `${db}\\_dd\\_shadow%`)).toEqual([])
  }, 240_000)

  it('a rehearsal writes nothing to the binary log and loads no replica (its copy goes to staging)', async () => {
    const db = 'rehearsed'
    const dir = await production(db)
    const config = upgradeConfig(dir, db, {
      replicas: [{ url: url(pair.replicaPort, db) }],
    })
    const position = async () => {
      const [status] = await pair.sql('primary', 'SHOW MASTER STATUS')
      return `${String(status!.File)}:${String(status!.Position)}`
    }
    const before = await position()
    const result = await runUpgrade(config, { ...RUN_OPTIONS, rehearse: true })
    expect(result.report.verdict).toBe('verified')
    expect(readManifest(result.runDir).target.rehearsal).toBeDefined()
    expect(await binlogEvents(before, await position())).toEqual([])
    expect(await schemaNames('primary', `${db}\\_dd\\_%`)).toEqual([])
    expect(await schemaNames('replica', `${db}\\_dd\\_%`)).toEqual([])
    await caughtUp()
    await replicationHealthy()
  }, 240_000)

  it('falls back to the binlogged load with the lag throttle when the replica may not be written, and says so', async () => {
    const db = 'shop'
    const dir = await production(db)
    // An account that may read the replica's status (lag) but not turn off its binary log.
    await pair.sql('replica', "CREATE USER 'watcher'@'127.0.0.1' IDENTIFIED BY 'w-pass-1'")
    await pair.sql('replica', "GRANT SELECT, SLAVE MONITOR ON *.* TO 'watcher'@'127.0.0.1'")
    const config = upgradeConfig(dir, db, {
      replicas: [{ url: url(pair.replicaPort, db, 'watcher', 'w-pass-1') }],
    })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const replication = readManifest(result.runDir).replication!
    expect(replication.load).toBe('replicated')
    expect(replication.reason).toMatch(/^replica mysql:\/\/watcher@127\.0\.0\.1:\d+\/shop cannot be written directly: user "watcher" may not turn off the binary log/)
    expect(replication.replicas).toEqual([expect.objectContaining({ load: 'replicated', reason: replication.reason })])
    // Rows went through the log this time, and the log says why and that the lag is watched.
    const shadow = readManifest(result.runDir).target.shadow!
    const duringLoad = await binlogEvents(replication.positions.loadback!, replication.positions.loadbackEnd!)
    expect(duringLoad.some((e) => e.type.startsWith('Write_rows'))).toBe(true)
    expect(replication.bytes.loadback).toBeGreaterThan(10_000)
    const events = readFileSync(runPaths(result.runDir).events, 'utf8')
    expect(events).toContain('the load back goes through the binary log to the replicas (lag throttle on)')
    expect(events).toContain('throttle: pausing while replica lag exceeds 30 s; watching mysql://watcher@127.0.0.1')
    expect(events).not.toContain('w-pass-1')
    await caughtUp()
    await replicationHealthy()
    expect(await checksums('replica', db)).toEqual(await checksums('primary', db))
    expect(await schemaNames('replica', shadow)).toEqual([])
  }, 240_000)

  it('a replica URL with a wrong password: the load goes through the binary log, its lag unwatched, and the log says both', async () => {
    const db = 'lost'
    const dir = await production(db)
    const config = upgradeConfig(dir, db, { replicas: [{ url: url(pair.replicaPort, db, 'drydock', 'wrong-pw-9') }] })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const replication = readManifest(result.runDir).replication!
    expect(replication.load).toBe('replicated')
    expect(replication.reason).toMatch(new RegExp(`^replica mysql://drydock@127\\.0\\.0\\.1:${pair.replicaPort}/lost cannot be written directly: cannot connect: `))
    expect(replication.replicas).toEqual([expect.objectContaining({ load: 'replicated', lagWatched: false })])
    const events = readFileSync(runPaths(result.runDir).events, 'utf8')
    expect(events).toContain('the load back goes through the binary log to the replicas (lag throttle on)')
    expect(events).toContain(`the lag of replica mysql://drydock@127.0.0.1:${pair.replicaPort}/lost cannot be read, so it is not watched`)
    expect(events).not.toContain('wrong-pw-9')
    expect(readFileSync(`${result.runDir}/report.md`, 'utf8')).toContain('Warning: the load went through the log: replica mysql://drydock@127.0.0.1:')
    await caughtUp()
    await replicationHealthy()
    expect(await checksums('replica', db)).toEqual(await checksums('primary', db))
  }, 240_000)

  it('pre-flight says what a direct load needs: binary-log rights on the primary and on each replica', async () => {
    const dir = await production('planned')
    await pair.sql('replica', "CREATE USER 'looker'@'127.0.0.1' IDENTIFIED BY 'l-pass-1'")
    await pair.sql('replica', "GRANT SELECT, SLAVE MONITOR ON *.* TO 'looker'@'127.0.0.1'")
    const checks = async (replica: string) => {
      const result = await preflight(upgradeConfig(dir, 'planned', { replicas: [replica] }), mysqlDriver, { throwOnFail: false, jobs: 2 })
      return Object.fromEntries(result.checks.filter((c) => c.id === 'source.binlog' || c.id.startsWith('replicas[')).map((c) => [c.id, { status: c.status, detail: c.detail, hint: c.hint }]))
    }
    expect(await checks(url(pair.replicaPort, 'planned'))).toEqual({
      'source.binlog': expect.objectContaining({ status: 'ok', detail: "drydock@127.0.0.1 may set sql_log_bin: no row of the copy is replicated" }),
      'replicas[0].direct': expect.objectContaining({ status: 'ok' }),
    })
    const lacking = await checks(url(pair.replicaPort, 'planned', 'looker', 'l-pass-1'))
    expect(lacking['replicas[0].direct']).toEqual({
      status: 'warn',
      detail: `looker@127.0.0.1 lacks BINLOG ADMIN on mysql://looker@127.0.0.1:${pair.replicaPort}/planned: the load back will go through the binary log to the replicas instead, under the lag throttle`,
      hint: "grant it for the upgrade: GRANT BINLOG ADMIN ON *.* TO 'looker'@'127.0.0.1', or set load: 'replicated'",
    })
  }, 120_000)
})
