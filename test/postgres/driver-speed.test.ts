/**
 * The PostgreSQL driver's speed work keeps behaviour: post-data applied over several
 * connections (pg_restore -j) builds every index, constraint, trigger and materialized view the
 * one-transaction path builds; the checksum counts a table without columns (what it must tell
 * apart on every engine: test/drivers/checksum-properties.test.ts).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { REPO, removeTempDirs, tempDir } from '../helpers/drydock.ts'
import { createDatabase, dropDatabasesWithPrefix, pgUrl, schemaDump, sql, uniquePrefix, userTables } from '../helpers/postgres.ts'

const prefix = uniquePrefix('speed')
const endpoint = (database: string) => parseEndpoint(pgUrl(database), 'source')

const EXTRAS = `
CREATE TABLE public.events (id int NOT NULL, at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE public.events_2023 PARTITION OF public.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public.events_other PARTITION OF public.events DEFAULT;
CREATE INDEX events_at_idx ON public.events (at);
ALTER TABLE public.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := NEW.name; RETURN NEW; END $$;
CREATE TRIGGER patchwork_person_touch BEFORE UPDATE ON public.patchwork_person FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE MATERIALIZED VIEW public.person_count AS SELECT count(*) AS n FROM public.patchwork_person;
CREATE UNIQUE INDEX person_count_n ON public.person_count (n);
CREATE TABLE public.odd (id int PRIMARY KEY, c char(4), b bytea, j json, t text COLLATE "C", arr int[]);
CREATE INDEX odd_t_idx ON public.odd (t) WHERE t IS NOT NULL;
`

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('post-data over several connections', () => {
  const from = `${prefix}_from`
  const to = `${prefix}_to`
  let dir: string

  beforeAll(async () => {
    dir = tempDir('speed')
    await createDatabase(from)
    await createDatabase(to)
    await sql(from, readFileSync(join(REPO, 'fixtures/patchwork/postgres/schema.sql'), 'utf8'))
    await sql(from, readFileSync(join(REPO, 'fixtures/patchwork/postgres/seed.sql'), 'utf8'))
    await sql(from, EXTRAS)
    await sql(from, "INSERT INTO public.events SELECT i, date '2023-06-01' + i, 'e' || i FROM generate_series(1, 400) i")
    await sql(from, "INSERT INTO public.odd SELECT i, 'a', '\\x00ff', '{\"a\": 1}', 't' || i, ARRAY[i, i] FROM generate_series(1, 50) i")
    await postgresDriver.probe(endpoint(from))
    const options = (section: string) => ({ saveAs: join(dir, `${section}.sql`), logFile: join(dir, 'tools.log') })
    await postgresDriver.copySchema(endpoint(from), endpoint(to), 'pre-data', { ...options('pre-data'), jobs: 3 })
    const source = await postgresDriver.connect(endpoint(from))
    const target = await postgresDriver.connect(endpoint(to))
    try {
      for (const table of await source.inventory()) {
        const reader = await source.readTable(table)
        await target.writeTable(table, reader.stream, [])
      }
    } finally {
      await source.close()
      await target.close()
    }
    await postgresDriver.copySchema(endpoint(from), endpoint(to), 'post-data', { ...options('post-data'), jobs: 3 })
  })

  it('builds every index, constraint, trigger and view of the source', async () => {
    const [a, b] = [await schemaDump(from), await schemaDump(to)]
    expect(b).toBe(a)
    expect(a).toContain('CREATE INDEX patchwork_check_data_gin_idx')
    expect(a).toContain('FOREIGN KEY (series_id) REFERENCES public.patchwork_series(id)')
    expect(a).toContain('ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2023_pkey')
  })

  it('populates materialized views and keeps the applied SQL for the audit trail', async () => {
    expect(await sql(to, 'SELECT n::text FROM public.person_count')).toEqual([{ n: '2000' }])
    const saved = readFileSync(join(dir, 'post-data.sql'), 'utf8')
    expect(saved).toContain('CREATE INDEX "patchwork_check_data_gin_idx"')
    expect(saved).toContain('REFRESH MATERIALIZED VIEW "public"."person_count"')
  })

  it('gives every table the same checksum on both sides', async () => {
    const left = await postgresDriver.connect(endpoint(from))
    const right = await postgresDriver.connect(endpoint(to))
    try {
      for (const table of await userTables(from)) {
        const [a, b] = [await left.checksum(table), await right.checksum(table)]
        expect(b, `${table.schema}.${table.name}`).toEqual(a)
      }
    } finally {
      await left.close()
      await right.close()
    }
  })
})

describe('checksum of a table without columns', () => {
  const db = `${prefix}_sum`

  beforeAll(async () => {
    await createDatabase(db)
    await sql(db, 'CREATE TABLE empty_cols (); INSERT INTO empty_cols DEFAULT VALUES')
  })

  // What every engine's checksum must tell apart: test/drivers/checksum-properties.test.ts.
  it('counts its rows', async () => {
    const session = await postgresDriver.connect(endpoint(db))
    try {
      expect((await session.checksum({ schema: 'public', name: 'empty_cols' })).rows).toBe(1)
    } finally {
      await session.close()
    }
  })
})
