/**
 * The Driver/Session contract (pipeline/drivers/driver.ts, README "Required of every engine"),
 * the same tests on every engine's real server: what stage code relies on without knowing the engine.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Driver, PartRange, Session, TableRef } from '../../pipeline/drivers/driver.ts'
import { driverFor } from '../../pipeline/drivers/registry.ts'
import { engineFacts } from '../../pipeline/drivers/engines.ts'
import { parseEndpoint, withDatabase, type Endpoint } from '../../pipeline/config/endpoint.ts'
import { addChecksums } from '../../pipeline/transfer/add-checksums.ts'
import { expectDrydockError, removeTempDirs, tempDir } from '../helpers/drydock.ts'
import { ENGINES, type TestEngine } from '../helpers/engines.ts'

/** Engine SQL the contract cannot avoid: rows that reference nothing, written past the foreign key. */
const ORPHAN_SQL: Record<TestEngine['engine'], string> = {
  postgres: "SET session_replication_role = 'replica'; DELETE FROM accounts WHERE id = 1; SET session_replication_role = 'origin'",
  mysql: 'SET foreign_key_checks = 0; DELETE FROM accounts WHERE id = 1; SET foreign_key_checks = 1',
}

async function withSession<T>(driver: Driver, endpoint: Endpoint, work: (session: Session) => Promise<T>): Promise<T> {
  const session = await driver.connect(endpoint)
  try {
    return await work(session)
  } finally {
    await session.close()
  }
}

async function drain(stream: NodeJS.ReadableStream): Promise<unknown[]> {
  const rows: unknown[] = []
  for await (const row of stream) rows.push(row)
  return rows
}

describe.each(ENGINES)('driver contract on $name', (engine) => {
  const prefix = engine.uniquePrefix('contract')
  const app = `${prefix}_app`
  const copy = `${prefix}_copy`
  const endpoint = (database: string) => parseEndpoint(engine.url(database), 'source')
  const ref = (database: string, name: string): TableRef => ({ schema: engineFacts(engine.engine).tablesByDatabase ? database : 'public', name })
  const ordered = (database: string, table: string) => engine.query(database, `SELECT * FROM ${table} ORDER BY id`)
  let driver: Driver
  let work: string

  beforeAll(async () => {
    driver = await driverFor(engine.engine)
    work = tempDir('contract')
    await engine.createApp(app)
  })

  afterAll(async () => {
    await engine.dropWithPrefix(prefix)
    removeTempDirs()
  })

  it('probes the server and names it as pre-flight does', async () => {
    const info = await driver.probe(endpoint(app))
    // A major is a number (MariaDB's has a minor part: 10.11).
    expect(info.major).toBeGreaterThan(0)
    expect(info.version).toContain(String(info.major))
    expect(driver.describeServer(info)).toMatch(new RegExp(`^${engine.name} \\S*${info.major}`))
    await driver.checkTools(info)
  })

  it('names a checkpoint kind for both kinds of staging and a canary table whose script makes it', async () => {
    for (const staging of ['ephemeral', 'url'] as const) {
      expect(['database-copy', 'data-directory', 'dump-files']).toContain(driver.checkpointKind(staging))
    }
    const canaryDb = `${prefix}_canary`
    await driver.createDatabase(endpoint(app), canaryDb)
    const canary = driver.canaryTable((await driver.probe(endpoint(app))).major)
    const script = join(work, 'canary.sql')
    writeFileSync(script, canary.sql)
    await driver.runSqlFile(endpoint(canaryDb), script, join(work, 'canary.log'))
    await withSession(driver, endpoint(canaryDb), async (session) => {
      const table = engineFacts(engine.engine).tablesByDatabase ? { schema: canaryDb, name: canary.name } : canary
      expect((await session.columns(table)).map((c) => c.name)).toEqual(canary.columns.map((c) => c.name))
      expect(await session.rowCount(table)).toBeGreaterThan(0)
    })
  })

  it('creates, sees, finds empty and drops a database', async () => {
    const scratch = `${prefix}_scratch`
    expect(await driver.databaseExists(endpoint(app), scratch)).toBe(false)
    await driver.createDatabase(endpoint(app), scratch, endpoint(app))
    expect(await driver.databaseExists(endpoint(app), scratch)).toBe(true)
    expect(await driver.isEmpty(endpoint(scratch))).toBe(true)
    expect(await driver.isEmpty(endpoint(app))).toBe(false)
    await driver.dropDatabase(endpoint(app), scratch)
    expect(await driver.databaseExists(endpoint(app), scratch)).toBe(false)
  })

  it('lets one run at a time hold the source', async () => {
    const lock = await driver.lockSource(endpoint(app), 'run-a')
    try {
      await expectDrydockError(driver.lockSource(endpoint(app), 'run-b'), 'DD_SOURCE_LOCKED')
    } finally {
      await lock.release()
    }
    await (await driver.lockSource(endpoint(app), 'run-c')).release()
  })

  it('lists the tables with their primary keys, columns, definitions and foreign keys', async () => {
    await withSession(driver, endpoint(app), async (session) => {
      const tables = await session.inventory()
      expect(tables.map((t) => [t.schema, t.name, t.primaryKey]).sort()).toEqual([
        [ref(app, 'accounts').schema, 'accounts', ['id']],
        [ref(app, 'orders').schema, 'orders', ['id']],
      ])
      expect((await session.columns(ref(app, 'accounts'))).map((c) => [c.name, c.binary, c.generated])).toEqual([
        ['id', false, false], ['email', false, false], ['balance', false, false],
      ])
      const accounts = `${ref(app, 'accounts').schema}.accounts`
      const orders = `${ref(app, 'orders').schema}.orders`
      expect([...(await session.definitions()).keys()].sort()).toEqual([accounts, orders])
      const dependencies = await session.tableDependencies()
      expect([...dependencies.definitions.keys()].sort()).toEqual([accounts, orders])
      expect(dependencies.references).toContainEqual({ from: orders, to: accounts })
    })
  })

  it('fingerprints the schema: the same until a definition changes', async () => {
    await withSession(driver, endpoint(app), async (session) => {
      const before = await session.fingerprint()
      expect(await session.fingerprint()).toBe(before)
      await engine.query(app, 'ALTER TABLE accounts ADD COLUMN note VARCHAR(20)')
      const after = await session.fingerprint()
      await engine.query(app, 'ALTER TABLE accounts DROP COLUMN note')
      expect(after).not.toBe(before)
      expect(await session.fingerprint()).toBe(before)
    })
  })

  it('copies the schema (pre-data) and a table out and back in, row for row', async () => {
    await driver.createDatabase(endpoint(app), copy, endpoint(app))
    await withSession(driver, endpoint(app), (source) => driver.prepareStaging(source, endpoint(copy)))
    await driver.copySchema(endpoint(app), endpoint(copy), 'pre-data', { saveAs: join(work, 'pre-data.sql'), logFile: join(work, 'schema.log') })
    await withSession(driver, endpoint(app), (source) => withSession(driver, endpoint(copy), async (target) => {
      for (const table of ['accounts', 'orders']) {
        const reader = await source.readTable(ref(app, table))
        const dump = new PassThrough()
        dump.end(await buffer(reader.stream))
        expect(await target.writeTable(ref(copy, table), dump, [])).toBe(reader.rows())
        expect(await target.rowCount(ref(copy, table))).toBe(await source.rowCount(ref(app, table)))
      }
    }))
    expect(await ordered(copy, 'orders')).toEqual(await ordered(app, 'orders'))
    expect(await ordered(copy, 'accounts')).toEqual(await ordered(app, 'accounts'))
  })

  it('copies the post-data section (indexes, foreign keys) and finds no dangling references', async () => {
    await driver.copySchema(endpoint(app), endpoint(copy), 'post-data', { saveAs: join(work, 'post-data.sql'), logFile: join(work, 'schema.log') })
    await withSession(driver, endpoint(copy), async (session) => {
      expect((await session.tableDependencies()).references).toContainEqual({ from: `${ref(copy, 'orders').schema}.orders`, to: `${ref(copy, 'accounts').schema}.accounts` })
      expect((await session.danglingReferences()).filter((d) => d.rows > 0)).toEqual([])
    })
  })

  it('checksums both copies equal, and differently once one row changes', async () => {
    await withSession(driver, endpoint(app), (source) => withSession(driver, endpoint(copy), async (target) => {
      const original = await source.checksum(ref(app, 'orders'))
      expect(original.rows).toBe(500)
      expect(await target.checksum(ref(copy, 'orders'))).toEqual(original)
      await engine.query(copy, 'UPDATE orders SET account_id = 2 WHERE id = 7')
      const changed = await target.checksum(ref(copy, 'orders'))
      expect(changed.rows).toBe(500)
      expect(changed.digest).not.toBe(original.digest)
      await engine.query(copy, `UPDATE orders SET account_id = ${1 + (7 % 50)} WHERE id = 7`)
      expect(await target.checksum(ref(copy, 'orders'))).toEqual(original)
    }))
  })

  it('splits a table by its integer key into parts whose checksums add up to the whole', async () => {
    await withSession(driver, endpoint(app), async (session) => {
      const orders = (await session.inventory()).find((t) => t.name === 'orders')!
      const basis = await session.partBasis(orders, 'key')
      expect(basis).toEqual({ kind: 'key', column: 'id', min: '1', max: '500' })
      const parts: PartRange[] = [
        { kind: 'key', column: 'id', from: null, to: '200' },
        { kind: 'key', column: 'id', from: '200', to: null },
      ]
      const sums = await Promise.all(parts.map(async (part) => {
        const reader = await session.readTable(orders, part)
        await buffer(reader.stream)
        const sum = await session.checksum(orders, part)
        expect(sum.rows).toBe(reader.rows())
        return sum
      }))
      expect(sums.map((s) => s.rows)).toEqual([199, 301])
      expect(addChecksums(sums)).toEqual(await session.checksum(orders))
    })
  })

  it('loads one part again with clear, leaving the rest of the table', async () => {
    const part: PartRange = { kind: 'key', column: 'id', from: '100', to: '150' }
    await withSession(driver, endpoint(app), (source) => withSession(driver, endpoint(copy), async (target) => {
      const whole = await target.checksum(ref(copy, 'orders'))
      const reader = await source.readTable(ref(app, 'orders'), part)
      expect(await target.writeTable(ref(copy, 'orders'), reader.stream, [], { part: { range: part, clear: true } })).toBe(50)
      expect(await target.checksum(ref(copy, 'orders'))).toEqual(whole)
    }))
  })

  it('rolls a load back when beforeCommit refuses it', async () => {
    const scratch = `${prefix}_veto`
    await engine.createApp(scratch)
    await engine.query(scratch, 'DELETE FROM orders WHERE id > 400')
    const part: PartRange = { kind: 'key', column: 'id', from: '401', to: null }
    await withSession(driver, endpoint(app), (source) => withSession(driver, endpoint(scratch), async (target) => {
      const before = await target.checksum(ref(scratch, 'orders'))
      const reader = await source.readTable(ref(app, 'orders'), part)
      const load = target.writeTable(ref(scratch, 'orders'), reader.stream, [], {
        part: { range: part, clear: false },
        beforeCommit: (rows) => { throw new Error(`vetoed after ${rows} rows`) },
      })
      await expect(load).rejects.toThrow('vetoed after 100 rows')
      expect(before.rows).toBe(400)
      expect(await target.checksum(ref(scratch, 'orders'))).toEqual(before)
    }))
  })

  it('reads rows as exact values and writes them back (readRows, writeRows, truncate)', async () => {
    const scratch = `${prefix}_rows`
    await engine.createApp(scratch)
    await withSession(driver, endpoint(app), (source) => withSession(driver, endpoint(scratch), async (target) => {
      const columns = await source.columns(ref(app, 'orders'))
      const reader = await source.readRows(ref(app, 'orders'), { orderBy: 'id', range: { key: 'id', from: '1', to: '11' } })
      const rows = await drain(reader.stream)
      expect(rows.map((r) => (r as Record<string, unknown>).id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'])
      expect(reader.bytes()).toBeGreaterThan(0)
      await target.truncate(ref(scratch, 'orders'))
      expect(await target.rowCount(ref(scratch, 'orders'))).toBe(0)
      const all = await source.readRows(ref(app, 'orders'))
      expect(await target.writeRows(ref(scratch, 'orders'), columns, all.stream)).toBe(500)
      expect(await target.checksum(ref(scratch, 'orders'))).toEqual(await source.checksum(ref(app, 'orders')))
      expect(await ordered(scratch, 'orders')).toEqual(await ordered(app, 'orders'))
    }))
  })

  it('answers read-only queries as the server\'s text', async () => {
    await withSession(driver, endpoint(app), async (session) => {
      expect(await session.queryValue('SELECT count(*) FROM accounts')).toBe('50')
      expect(await session.queryValue('SELECT NULL')).toBeNull()
      expect(await session.queryValue('SELECT 1 FROM accounts WHERE id < 0')).toBeNull()
    })
  })

  it('counts the rows whose foreign key references nothing', async () => {
    const scratch = `${prefix}_orphans`
    await engine.createApp(scratch)
    await engine.query(scratch, ORPHAN_SQL[engine.engine])
    await withSession(driver, endpoint(scratch), async (session) => {
      const dangling = await session.danglingReferences()
      expect(dangling.map((d) => [d.table.replace(/^.*\./, ''), d.rows])).toEqual([['orders', 10]])
    })
  })

  it('locates: key bounds, span checksums equal on both copies, boundaries and rows in key order', async () => {
    const key = ['id']
    await withSession(driver, endpoint(app), (source) => withSession(driver, endpoint(copy), async (target) => {
      expect(await source.keyBounds(ref(app, 'orders'), 'id')).toEqual({ min: '1', max: '500' })
      const low = { from: null, to: ['250'] }
      const high = { from: ['250'], to: null }
      for (const span of [low, high]) {
        expect(await target.checksumSpan(ref(copy, 'orders'), key, span)).toEqual(await source.checksumSpan(ref(app, 'orders'), key, span))
      }
      await engine.query(copy, 'UPDATE orders SET account_id = 3 WHERE id = 300')
      expect(await target.checksumSpan(ref(copy, 'orders'), key, low)).toEqual(await source.checksumSpan(ref(app, 'orders'), key, low))
      expect(await target.checksumSpan(ref(copy, 'orders'), key, high)).not.toEqual(await source.checksumSpan(ref(app, 'orders'), key, high))
      await engine.query(copy, `UPDATE orders SET account_id = ${1 + (300 % 50)} WHERE id = 300`)
      const boundaries = await source.spanBoundaries(ref(app, 'orders'), key, { from: null, to: null }, 4)
      expect(boundaries.length).toBeGreaterThanOrEqual(2)
      expect(boundaries.map((b) => Number(b[0]))).toEqual([...boundaries.map((b) => Number(b[0]))].sort((a, b) => a - b))
      const rows = await source.rowsInSpan(ref(app, 'orders'), key, { from: ['10'], to: ['20'] }, 3)
      expect(rows.map((r) => r.id)).toEqual(['10', '11', '12'])
    }))
  })

  it('reads the sequences and sets a copy\'s to them', async () => {
    const scratch = `${prefix}_seq`
    await engine.createApp(scratch)
    await engine.query(app, "INSERT INTO accounts (email) VALUES ('extra@example.com')")
    await withSession(driver, endpoint(app), (source) => withSession(driver, endpoint(scratch), async (target) => {
      const named = (values: Awaited<ReturnType<Session['sequences']>>) => values.map((v) => [v.name, v.lastValue, v.isCalled]).sort()
      const wanted = await source.sequences()
      expect(named(wanted)).not.toEqual(named(await target.sequences()))
      await target.setSequences(wanted.map((v) => ({ ...v, schema: engineFacts(engine.engine).tablesByDatabase ? scratch : v.schema })))
      expect(named(await target.sequences())).toEqual(named(wanted))
      await target.analyze([ref(scratch, 'accounts'), ref(scratch, 'orders')])
    }))
  })

  it('drops a table, and tells whether a table exists in its fence marks', async () => {
    await withSession(driver, endpoint(copy), async (session) => {
      const marks = await session.fenceMarks([ref(copy, 'accounts'), ref(copy, 'missing')], { phase: 'take', settleMs: 0 })
      expect(marks.engine).toBe(engine.engine)
      expect(marks.tables[`${ref(copy, 'accounts').schema}.accounts`]?.exists).toBe(true)
      expect(marks.tables[`${ref(copy, 'missing').schema}.missing`]?.exists).toBe(false)
      expect(marks.allTables).toContain(`${ref(copy, 'orders').schema}.orders`)
      await session.dropTable(ref(copy, 'missing'))
    })
  })

  it('gives every worker of a snapshot the same rows, whatever is written after it', async () => {
    const snapshot = await driver.openSnapshot(endpoint(app), 3)
    try {
      const before = await snapshot.holder.checksum(ref(app, 'accounts'))
      await engine.query(app, "INSERT INTO accounts (email) VALUES ('after@example.com'); UPDATE accounts SET balance = 0 WHERE id = 2")
      const workers = [await snapshot.worker(), await snapshot.worker(), await snapshot.worker()]
      expect(await Promise.all(workers.map((w) => w.checksum(ref(app, 'accounts'))))).toEqual([before, before, before])
      expect(snapshot.position).not.toBe('')
    } finally {
      await snapshot.close()
    }
  })

  it('reads the log position and the replica lag of a server without replicas; commits are made durable', async () => {
    const from = await driver.logPosition(endpoint(app))
    await engine.query(app, "INSERT INTO accounts (email) VALUES ('logged@example.com')")
    await driver.makeDurable(endpoint(app), 'commits')
    await driver.makeDurable(endpoint(app), 'everything')
    const to = await driver.logPosition(endpoint(app))
    if (from !== null && to !== null) expect(await driver.logBytes(endpoint(app), from, to)).toBeGreaterThan(0)
    expect(await driver.replicaLag(endpoint(app), [])).toEqual([])
    expect(driver.migrationEnv(endpoint(app)).DATABASE_URL).toBeTruthy()
  })

  it('runs a SQL file through the engine\'s client and refuses a failing one', async () => {
    const good = join(work, 'good.sql')
    writeFileSync(good, 'CREATE TABLE extra (id INT PRIMARY KEY);\n')
    await driver.runSqlFile(endpoint(copy), good, join(work, 'sql.log'))
    await withSession(driver, endpoint(copy), async (session) => {
      expect((await session.inventory()).map((t) => t.name)).toContain('extra')
    })
    const bad = join(work, 'bad.sql')
    writeFileSync(bad, 'CREATE TABLE extra (id INT PRIMARY KEY);\n')
    await expectDrydockError(driver.runSqlFile(endpoint(copy), bad, join(work, 'sql.log')), 'DD_MIGRATION_FAILED')
  })

  it('tells a syntax error from a transient failure', async () => {
    await withSession(driver, endpoint(app), async (session) => {
      const error = await session.queryValue('SELEC 1').then(() => null, (e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      expect(driver.isTransient(error)).toBe(false)
    })
  })

  it('swaps the shadow in and the live database out, and reads which side it is on', async () => {
    const live = `${prefix}_live`
    const shadow = `${prefix}_shadow`
    const backup = `${prefix}_backup`
    await engine.createApp(live)
    await engine.createApp(shadow)
    await engine.query(shadow, "UPDATE accounts SET email = 'shadow@example.com' WHERE id = 1")
    const liveState = await engine.state(live)
    const shadowState = await engine.state(shadow)
    expect((await driver.swapSide(endpoint(live), shadow, backup)).swapped).toBe(false)
    await driver.swap(endpoint(live), shadow, backup)
    expect(await driver.swapSide(endpoint(live), shadow, backup)).toEqual({ swapped: true })
    expect((await engine.state(live)).data).toEqual(shadowState.data)
    expect((await engine.state(backup)).data).toEqual(liveState.data)
    expect(await engine.exists(shadow)).toBe(false)
    expect(typeof driver.keepsLiveTables).toBe('boolean')
  })
})
