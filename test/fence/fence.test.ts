/**
 * The write fence on the real servers: taken before the snapshot, checked before the swap.
 * No write passes; an INSERT, UPDATE, DELETE or TRUNCATE after the fence fails naming exactly
 * the tables written; a writer still connected with counts not yet flushed is still caught;
 * statistics that were reset are settled by the snapshot checksums, or reported unproven.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Driver, TableChecksum, TableRef } from '../../pipeline/drivers/driver.ts'
import { mysqlDriver } from '../../pipeline/drivers/mysql/mysql-driver.ts'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { type Endpoint, parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { checkFence, takeFence } from '../../pipeline/safety/fence/fence.ts'
import { expectDrydockError } from '../helpers/drydock.ts'
import * as my from '../helpers/mysql.ts'
import * as pgh from '../helpers/postgres.ts'

const HINT = 'the maintenance window was not respected: something (the application, a worker, a cron job) still writes to production, and those writes are not in the migrated copy. Nothing was swapped; stop every writer and run the upgrade again from the start (there is no --force: swapping now would lose them)'

async function checksums(driver: Driver, ep: Endpoint, tables: readonly TableRef[]): Promise<Map<string, TableChecksum>> {
  const session = await driver.connect(ep)
  try {
    const out = new Map<string, TableChecksum>()
    for (const t of tables) out.set(`${t.schema}.${t.name}`, await session.checksum(t))
    return out
  } finally {
    await session.close()
  }
}

describe('PostgreSQL write fence', () => {
  const prefix = pgh.uniquePrefix('flt')
  const db = `${prefix}_live`
  const ep = parseEndpoint(pgh.pgUrl(db), 'source')
  const A = { schema: 'public', name: 'accounts' }
  const B = { schema: 'app', name: 'orders' }
  const tables = [A, B]
  const write = (text: string) => pgh.sql(db, text)

  beforeAll(async () => {
    await pgh.createDatabase(db)
    await write(`CREATE TABLE accounts (id serial PRIMARY KEY, v text);
      CREATE SCHEMA app; CREATE TABLE app.orders (id int PRIMARY KEY, v text);
      INSERT INTO accounts (v) SELECT 'a' || i FROM generate_series(1, 100) i;
      INSERT INTO app.orders SELECT i, 'o' || i FROM generate_series(1, 50) i`)
  })
  afterAll(async () => { await pgh.dropDatabasesWithPrefix(prefix) })

  it('no write between fence and check: passes, every table proven by its marks', async () => {
    const fence = await takeFence(postgresDriver, ep, tables)
    expect(fence.marks.position).toMatch(/^wal [0-9A-F]+\/[0-9A-F]+$/)
    await pgh.sql(db, 'SELECT count(*) FROM accounts; SELECT * FROM app.orders')
    const result = await checkFence(postgresDriver, ep, fence)
    expect(result).toMatchObject({ tables: 2, byMarks: ['public.accounts', 'app.orders'], byChecksum: [] })
  })

  it('an INSERT into one table after the fence: DD_WRITE_FENCE naming that table only', async () => {
    const fence = await takeFence(postgresDriver, ep, tables)
    await write("INSERT INTO accounts (v) VALUES ('late')")
    const error = await expectDrydockError(checkFence(postgresDriver, ep, fence), 'DD_WRITE_FENCE')
    expect(error.message).toBe(`${pgh.pgUrl(db, pgh.PG_USER)} was written after the snapshot: 1 table(s) changed since the fence:\n  public.accounts: n_tup_ins 100 → 101`)
    expect(error.ctx).toEqual({ stage: 'swap', table: 'public.accounts', resumable: false, hint: HINT })
  })

  it('UPDATE, DELETE and TRUNCATE are writes too', async () => {
    const fence = await takeFence(postgresDriver, ep, tables)
    await write("UPDATE accounts SET v = 'changed' WHERE id = 1; DELETE FROM accounts WHERE id = 2; TRUNCATE app.orders")
    const error = await expectDrydockError(checkFence(postgresDriver, ep, fence), 'DD_WRITE_FENCE')
    expect(error.ctx.table).toBe('public.accounts, app.orders')
    expect(error.message).toMatch(/public\.accounts: n_tup_upd \d+ → \d+, n_tup_del \d+ → \d+/)
    expect(error.message).toMatch(/app\.orders: filenode \d+ → \d+/)
  })

  it('a table created after the fence is a write', async () => {
    const fence = await takeFence(postgresDriver, ep, tables, { schemas: ['public', 'app'] })
    await write('CREATE TABLE app.late (id int)')
    const error = await expectDrydockError(checkFence(postgresDriver, ep, fence), 'DD_WRITE_FENCE')
    expect(error.message).toContain('  app.late: table created after the fence')
    await write('DROP TABLE app.late')
  })

  it('statistics reset since the fence: proven by the snapshot checksums, else unproven; a real change still fails', async () => {
    const expected = await checksums(postgresDriver, ep, tables)
    let fence = await takeFence(postgresDriver, ep, tables)
    await write("SELECT pg_stat_reset_single_table_counters('accounts'::regclass)")
    const proven = await checkFence(postgresDriver, ep, fence, { expected })
    expect(proven).toMatchObject({ byMarks: [], byChecksum: ['public.accounts', 'app.orders'] })
    const unproven = await expectDrydockError(checkFence(postgresDriver, ep, fence), 'DD_WRITE_FENCE_UNPROVEN')
    expect(unproven.message).toContain(`cannot prove that ${pgh.pgUrl(db, pgh.PG_USER)} was not written after the snapshot: 2 table(s) without proof:`)
    expect(unproven.message).toMatch(/public\.accounts: n_tup_ins went down \(\d+ → 0\): counters were reset/)

    fence = await takeFence(postgresDriver, ep, tables)
    await write("SELECT pg_stat_reset_single_table_counters('app.orders'::regclass); INSERT INTO app.orders VALUES (1000, 'hidden')")
    const changed = await expectDrydockError(checkFence(postgresDriver, ep, fence, { expected }), 'DD_WRITE_FENCE')
    expect(changed.ctx.table).toBe('app.orders')
    expect(changed.message).toMatch(/app\.orders: its rows differ from the snapshot \(\d+ rows, checksum -?\d+ then; \d+ rows, checksum -?\d+ now\)/)
  })

  it('a writer still connected, whose counts are not flushed yet (PG 15: up to 10 s), is waited for and caught', async () => {
    const fence = await takeFence(postgresDriver, ep, tables)
    await pgh.withClient(db, async (writer) => {
      // The first statement flushes the session's counts; a write right after it waits for the next flush.
      await writer.query('SELECT count(*) FROM app.orders')
      await writer.query("INSERT INTO app.orders VALUES (2000, 'pending')")
      const started = Date.now()
      const error = await expectDrydockError(checkFence(postgresDriver, ep, fence, { settleMs: 15_000 }), 'DD_WRITE_FENCE')
      expect(error.ctx.table).toBe('app.orders')
      expect(Date.now() - started).toBeLessThan(20_000)
    })
  }, 30_000)
})

describe('MySQL write fence', () => {
  const prefix = my.uniquePrefix('flt')
  const db = `${prefix}_live`
  const ep = parseEndpoint(my.myUrl(db), 'source')
  const A = { schema: db, name: 'accounts' }
  const B = { schema: db, name: 'order lines' }
  const tables = [A, B]
  const write = (text: string) => my.sql(db, text)

  beforeAll(async () => {
    await my.createDatabase(db)
    await write(`CREATE TABLE accounts (id int AUTO_INCREMENT PRIMARY KEY, v text) ENGINE=InnoDB;
      CREATE TABLE \`order lines\` (id int PRIMARY KEY, v text) ENGINE=InnoDB;
      INSERT INTO accounts (v) SELECT CONCAT('a', seq) FROM seq_1_to_100;
      INSERT INTO \`order lines\` SELECT seq, CONCAT('o', seq) FROM seq_1_to_50;
      ANALYZE TABLE accounts, \`order lines\``)
    // ANALYZE now: no recalculation of the statistics for the setup's rows may land between a fence and its check.
  })
  afterAll(async () => { await my.dropDatabasesWithPrefix(prefix) })

  it('no write between fence and check: passes, every table proven (by its marks, unless another test\'s open transaction made it uncertain)', async () => {
    const expected = await checksums(mysqlDriver, ep, tables)
    const fence = await takeFence(mysqlDriver, ep, tables)
    await my.sql(db, 'SELECT COUNT(*) FROM accounts')
    const result = await checkFence(mysqlDriver, ep, fence, { expected })
    expect(result.tables).toBe(2)
    expect([...result.byMarks, ...result.byChecksum].sort()).toEqual([`${db}.accounts`, `${db}.order lines`])
  })

  it('an INSERT into one table after the fence: DD_WRITE_FENCE naming that table only', async () => {
    const fence = await takeFence(mysqlDriver, ep, tables)
    await write("INSERT INTO `order lines` VALUES (1000, 'late')")
    const error = await expectDrydockError(checkFence(mysqlDriver, ep, fence), 'DD_WRITE_FENCE')
    expect(error.message).toMatch(new RegExp(`^mysql://root@127\\.0\\.0\\.1:3306/${db} was written after the snapshot: 1 table\\(s\\) changed since the fence:\\n  ${db}\\.order lines: last write (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d → \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d|at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d, the second of the fence itself)$`))
    expect(error.ctx).toEqual({ stage: 'swap', table: `${db}.order lines`, resumable: false, hint: HINT })
  })

  it('an insert into an AUTO_INCREMENT table moves its counter; TRUNCATE changes the table id', async () => {
    const fence = await takeFence(mysqlDriver, ep, tables)
    await write("INSERT INTO accounts (v) VALUES ('late'); TRUNCATE `order lines`")
    const error = await expectDrydockError(checkFence(mysqlDriver, ep, fence), 'DD_WRITE_FENCE')
    expect(error.ctx.table).toBe(`${db}.accounts, ${db}.order lines`)
    expect(error.message).toMatch(/accounts: auto_increment \d+ → \d+, last write/)
    expect(error.message).toMatch(/order lines: table_id \d+ → \d+/)
  })

  it('MyISAM and Aria: a flush moves their file time but is settled by checksum; a write is caught', async () => {
    const flat = [{ schema: db, name: 'flat' }, { schema: db, name: 'aria' }]
    await write("CREATE TABLE flat (id int PRIMARY KEY, v text) ENGINE=MyISAM; CREATE TABLE aria (id int PRIMARY KEY, v text) ENGINE=Aria; INSERT INTO flat VALUES (1, 'a'); INSERT INTO aria VALUES (1, 'a')")
    const expected = await checksums(mysqlDriver, ep, flat)
    const fence = await takeFence(mysqlDriver, ep, flat)
    await write('FLUSH TABLES flat, aria')
    const result = await checkFence(mysqlDriver, ep, fence, { expected })
    expect([...result.byMarks, ...result.byChecksum].sort()).toEqual([`${db}.aria`, `${db}.flat`])
    await write("INSERT INTO flat VALUES (2, 'late')")
    const error = await expectDrydockError(checkFence(mysqlDriver, ep, fence, { expected }), 'DD_WRITE_FENCE')
    expect(error.ctx.table).toBe(`${db}.flat`)
    await write('DROP TABLE flat, aria')
  })

  it('a DELETE is a write; a table created after the fence too', async () => {
    await write("INSERT INTO `order lines` SELECT seq, 'again' FROM seq_1_to_20")
    const fence = await takeFence(mysqlDriver, ep, tables)
    await write('DELETE FROM `order lines` WHERE id = 3; CREATE TABLE late (id int)')
    const error = await expectDrydockError(checkFence(mysqlDriver, ep, fence), 'DD_WRITE_FENCE')
    expect(error.ctx.table).toBe(`${db}.order lines, ${db}.late`)
    expect(error.message).toContain(`  ${db}.late: table created after the fence`)
    await write('DROP TABLE late')
  })
})
