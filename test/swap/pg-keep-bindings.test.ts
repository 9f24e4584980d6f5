/**
 * What binds a PostgreSQL table to objects a schema swap replaces (read on staging): such a table
 * is copied, with the object named, unless the object belongs to another kept table.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { chooseKept } from '../../pipeline/stages/loadback/keep-tables.ts'
import { createDatabase, dropDatabasesWithPrefix, pgUrl, sql, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('pgkb')

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
})

describe('PostgreSQL: tables bound to what the schema swap replaces', () => {
  it('copies partitions, inheritance children, tables on a shared sequence or read by a materialized view; keeps tables bound only to each other', async () => {
    const db = `${prefix}_b`
    await createDatabase(db)
    await sql(db, `
      CREATE TABLE measure (id int, at date) PARTITION BY RANGE (at);
      CREATE TABLE measure_2026 PARTITION OF measure FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE TABLE animal (id int PRIMARY KEY);
      CREATE TABLE dog (bark text) INHERITS (animal);
      CREATE SEQUENCE shared_ids;
      CREATE TABLE ticket (id int DEFAULT nextval('shared_ids') PRIMARY KEY);
      CREATE TABLE seen (id int PRIMARY KEY);
      CREATE MATERIALIZED VIEW seen_count AS SELECT count(*) AS n FROM seen;
      CREATE TABLE parent (id serial PRIMARY KEY);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
      CREATE VIEW v_child AS SELECT * FROM child`)
    const staging = parseEndpoint(pgUrl(db), 'staging')
    const bindings = await postgresDriver.schemaSwap!.bindings(staging, ['public'])
    const session = await postgresDriver.connect(staging)
    const deps = await session.tableDependencies!(['public']).finally(() => session.close())
    const before = Object.fromEntries(deps.definitions)
    const unchanged = ['public.measure_2026', 'public.animal', 'public.ticket', 'public.seen', 'public.parent', 'public.child']
    const decision = chooseKept(unchanged, before, deps, bindings)
    expect(decision.kept).toEqual(['public.child', 'public.parent'])
    const reasons = Object.fromEntries(decision.copiedAnyway.map((c) => [c.table, c.reason]))
    expect(reasons['public.measure_2026']).toMatch(/^it uses table measure /)
    expect(reasons['public.animal']).toMatch(/table dog uses it/)
    expect(reasons['public.ticket']).toMatch(/^it uses sequence shared_ids /)
    expect(reasons['public.seen']).toMatch(/materialized view seen_count uses it/)
    // A parent and its child both unchanged move together; the child alone cannot.
    expect(chooseKept(['public.animal', 'public.dog'], before, deps, bindings).kept).toEqual(['public.animal', 'public.dog'])
    expect(chooseKept(['public.dog'], before, deps, bindings).copiedAnyway).toEqual([{ table: 'public.dog', reason: expect.stringMatching(/^it uses table animal /) }])
  })

  it('sends the run to the shadow database when an extension lives in a swapped schema or production has publications', async () => {
    const db = `${prefix}_c`
    await createDatabase(db)
    const ep = parseEndpoint(pgUrl(db), 'source')
    await sql(db, 'CREATE TABLE t (id int PRIMARY KEY)')
    expect(await postgresDriver.schemaSwap!.check(ep, ep)).toEqual({ schemas: ['public'], blockers: [] })
    await sql(db, 'CREATE EXTENSION citext; CREATE PUBLICATION pub_t FOR TABLE t')
    const { blockers } = await postgresDriver.schemaSwap!.check(ep, ep)
    expect(blockers).toEqual([
      expect.stringMatching(/^extension citext has its objects in schema public, which the swap renames/),
      expect.stringMatching(/^publications \(pub_t\) name their tables by OID/),
    ])
  })
})
