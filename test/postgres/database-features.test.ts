/**
 * What a database is beyond its column types: database-level settings and grants (docs/how-it-works.md
 * says drydock copies them to the shadow), partitioned tables, and table inheritance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import type { UpgradeResult } from '../../pipeline/runner/execute-run.ts'
import { configIn, expectDrydockError, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import { createDatabase, databasesWithPrefix, dropDatabasesWithPrefix, ident, pgUrl, rowsAsText, sql, tableDigests, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('dbfeat')

/** Database-level settings (ALTER DATABASE … SET) and the database's ACL, as the catalog keeps them. */
async function databaseProperties(database: string): Promise<{ settings: string[]; acl: string | null }> {
  const settings = await sql('postgres', `
    SELECT unnest(s.setconfig) AS setting FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
     WHERE d.datname = $1 AND s.setrole = 0 ORDER BY 1`, [database])
  const [acl] = await sql('postgres', 'SELECT datacl::text AS acl FROM pg_database WHERE datname = $1', [database])
  return { settings: settings.map((r) => r.setting!), acl: acl?.acl ?? null }
}

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('database-level settings and grants, partitioned tables', () => {
  const source = `${prefix}_src`
  let before: Awaited<ReturnType<typeof databaseProperties>>
  let partitionsBefore: (string | null)[][]
  let result: UpgradeResult

  beforeAll(async () => {
    await createDatabase(source)
    await sql(source, `
      CREATE SCHEMA app;
      ALTER DATABASE ${ident(source)} SET search_path = app, public;
      ALTER DATABASE ${ident(source)} SET work_mem = '7MB';
      ALTER DATABASE ${ident(source)} SET statement_timeout = '45s';
      REVOKE ALL ON DATABASE ${ident(source)} FROM PUBLIC;
      GRANT CONNECT ON DATABASE ${ident(source)} TO pg_monitor;

      CREATE TABLE public.events (id int, at date NOT NULL, what text) PARTITION BY RANGE (at);
      CREATE TABLE public.events_2023 PARTITION OF public.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
      CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE public.events_other PARTITION OF public.events DEFAULT;
      INSERT INTO public.events SELECT i, date '2023-10-01' + i, 'event ' || i FROM generate_series(1, 600) i;
    `)
    before = await databaseProperties(source)
    partitionsBefore = await rowsAsText(source, { schema: 'public', name: 'events' }, 'id')
    result = await runUpgrade(configIn(tempDir('dbfeat'), { source: pgUrl(source), staging: pgUrl(`${prefix}_stg`) }), RUN_OPTIONS)
  })

  it('the fixture has what it should', () => {
    expect(before.settings).toEqual(['search_path=app, public', 'statement_timeout=45s', 'work_mem=7MB'])
    expect(before.acl).toBe('{postgres=CTc/postgres,pg_monitor=c/postgres}')
    expect(result.report.verdict).toBe('verified')
    expect(result.report.swap?.status).toBe('swapped')
  })

  it('copies ALTER DATABASE … SET settings, list-valued ones (search_path) included, to the new live database', async () => {
    expect((await databaseProperties(source)).settings).toEqual(before.settings)
  })

  it('copies the database ACL exactly: a privilege revoked from PUBLIC stays revoked', async () => {
    expect((await databaseProperties(source)).acl).toBe(before.acl)
  })

  it('carries partitioned tables: every partition, and rows still route to the right one', async () => {
    expect(result.report.hop1.tables.map((t) => t.table).sort()).toEqual(['public.events_2023', 'public.events_2024', 'public.events_other'])
    expect(await rowsAsText(source, { schema: 'public', name: 'events' }, 'id')).toEqual(partitionsBefore)
    const digests = await tableDigests(source)
    expect(digests['public.events_2023']).toMatch(/^91:/)
    expect(digests['public.events_2024']).toMatch(/^366:/)
    expect(digests['public.events_other']).toMatch(/^143:/)
    await sql(source, `INSERT INTO public.events VALUES (1000, '2024-05-05', 'new')`)
    expect(await sql(source, `SELECT c.relname AS part FROM public.events e JOIN pg_catalog.pg_class c ON c.oid = e.tableoid WHERE e.id = 1000`)).toEqual([{ part: 'events_2024' }])
  })
})

describe('table inheritance (INHERITS)', () => {
  const source = `${prefix}_inh`
  let digestsBefore: Record<string, string>

  beforeAll(async () => {
    await createDatabase(source)
    await sql(source, `
      CREATE TABLE vehicles (id int PRIMARY KEY, name text);
      CREATE TABLE cars (doors int) INHERITS (vehicles);
      CREATE TABLE trucks (axles int) INHERITS (vehicles);
      INSERT INTO vehicles VALUES (1, 'generic');
      INSERT INTO cars SELECT i, 'car ' || i, 4 FROM generate_series(100, 400) i;
      INSERT INTO trucks SELECT i, 'truck ' || i, 3 FROM generate_series(1000, 1010) i;
    `)
    digestsBefore = await tableDigests(source)
  })

  it('carries parent and child tables, each with its own rows', async () => {
    const dir = tempDir('inherits')
    const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${source}_stg`) })
    const outcome = await runUpgrade(config, RUN_OPTIONS).then(
      (r) => ({ verdict: r.report.verdict, error: '' }),
      (e: Error) => ({ verdict: 'failed', error: e.message }),
    )
    expect(outcome).toEqual({ verdict: 'verified', error: '' })
    expect(await tableDigests(source)).toEqual(digestsBefore)
    expect(await sql(source, 'SELECT count(*) AS n FROM ONLY public.vehicles')).toEqual([{ n: '1' }])
    expect(await sql(source, 'SELECT count(*) AS n FROM public.vehicles')).toEqual([{ n: '313' }])
  })

  it('leaves the live database with the same rows either way, and no shadow behind', async () => {
    expect(await tableDigests(source)).toEqual(digestsBefore)
    expect(await databasesWithPrefix(`${source}_dd_shadow_`)).toEqual([])
  })
})

describe('materialized views', () => {
  const source = `${prefix}_mv`
  let verdict: string
  let before: Record<string, string | null>[]
  const STATE = `SELECT (SELECT string_agg(n::text, ',' ORDER BY n) FROM public.totals) AS totals,
    (SELECT relispopulated::text FROM pg_catalog.pg_class WHERE oid = 'public.totals'::regclass) AS populated`

  beforeAll(async () => {
    await createDatabase(source)
    await sql(source, `
      CREATE TABLE public.sales (id int PRIMARY KEY, amount int);
      INSERT INTO public.sales SELECT i, i % 7 FROM generate_series(1, 100) i;
      CREATE MATERIALIZED VIEW public.totals AS SELECT amount AS n, count(*) FROM public.sales GROUP BY amount;
    `)
    before = await sql(source, STATE)
    const config = configIn(tempDir('mv'), { source: pgUrl(source), staging: pgUrl(`${source}_stg`) })
    verdict = (await runUpgrade(config, RUN_OPTIONS)).report.verdict
  })

  it('a populated materialized view is populated, with the same rows, after the swap', async () => {
    expect(before).toEqual([{ totals: '0,1,2,3,4,5,6', populated: 'true' }])
    expect(verdict).toBe('verified')
    expect(await sql(source, STATE)).toEqual(before)
  })
})

describe('large objects', () => {
  const source = `${prefix}_lo`
  let before: Record<string, string | null>[]
  const STATE = `SELECT (SELECT count(*) FROM pg_catalog.pg_largeobject_metadata) AS large_objects,
    (SELECT encode(lo_get(doc), 'escape') FROM public.attachments WHERE id = 1) AS attachment`

  beforeAll(async () => {
    await createDatabase(source)
    await sql(source, `
      CREATE TABLE public.attachments (id int PRIMARY KEY, doc oid);
      INSERT INTO public.attachments VALUES (1, lo_from_bytea(0, 'large object body'));
    `)
    before = await sql(source, STATE)
  })

  it('are refused before anything is written: never a verified run that lost them', async () => {
    const config = configIn(tempDir('lo'), { source: pgUrl(source), staging: pgUrl(`${source}_stg`) })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_UNSUPPORTED_LARGE_OBJECTS')
    expect(error.message).toMatch(/holds 1 large object/)
    expect(await sql(source, STATE)).toEqual(before)
    expect(await databasesWithPrefix(`${source}_`)).toEqual([])
  })
})

describe.each(['ephemeral', 'url'] as const)('an app database with an app role, through %s staging', (kind) => {
  const source = `${prefix}_app_${kind}`
  const app = `${prefix}_app_role`
  const owner = `${prefix}_owner_role`
  let before: Record<string, string | null>[]
  let verdict = ''
  /** What the catalog says of the database beyond its tables: comment, role settings, ACL, owners. */
  const STATE = `SELECT shobj_description(d.oid, 'pg_database') AS comment, d.datacl::text AS acl,
      (SELECT string_agg(pg_get_userbyid(s.setrole) || ':' || array_to_string(s.setconfig, '|'), ';' ORDER BY 1)
         FROM pg_db_role_setting s WHERE s.setdatabase = d.oid) AS settings,
      (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'app.items'::regclass) AS table_owner,
      (SELECT relacl::text FROM pg_class WHERE oid = 'app.items'::regclass) AS table_acl
    FROM pg_database d WHERE d.datname = current_database()`

  beforeAll(async () => {
    await createDatabase(source)
    await sql('postgres', `CREATE ROLE ${ident(app)} LOGIN; CREATE ROLE ${ident(owner)} NOLOGIN`)
    await sql(source, `
      CREATE SCHEMA app AUTHORIZATION ${ident(owner)};
      CREATE TABLE app.items (id serial PRIMARY KEY, name text);
      ALTER TABLE app.items OWNER TO ${ident(owner)};
      INSERT INTO app.items (name) SELECT 'item ' || i FROM generate_series(1, 20) i;
      GRANT USAGE ON SCHEMA app TO ${ident(app)};
      GRANT SELECT, INSERT ON app.items TO ${ident(app)};
      REVOKE ALL ON DATABASE ${ident(source)} FROM PUBLIC;
      GRANT CONNECT ON DATABASE ${ident(source)} TO ${ident(app)};
      COMMENT ON DATABASE ${ident(source)} IS 'the app''s "data"';
      ALTER ROLE ${ident(app)} IN DATABASE ${ident(source)} SET search_path = app, public;
      ALTER ROLE ${ident(app)} IN DATABASE ${ident(source)} SET statement_timeout = '12s';
    `)
    before = await sql(source, STATE)
    const config = configIn(tempDir('approle'), { source: pgUrl(source), staging: kind === 'ephemeral' ? 'ephemeral' : pgUrl(`${source}_stg`) })
    verdict = await runUpgrade(config, RUN_OPTIONS).then((r) => r.report.verdict, (e: Error) => e.message)
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(source)
    await sql('postgres', `DROP ROLE IF EXISTS ${ident(app)}; DROP ROLE IF EXISTS ${ident(owner)}`)
  })

  it('the fixture has what it should', () => {
    expect(before).toEqual([{
      comment: 'the app\'s "data"', acl: `{postgres=CTc/postgres,${app}=c/postgres}`,
      settings: `${app}:search_path=app, public|statement_timeout=12s`, table_owner: owner, table_acl: `{${owner}=arwdDxt/${owner},${app}=ar/${owner}}`,
    }])
  })

  it('creates the roles staging lacks, so that the database grant and the second owner apply', () => {
    expect(verdict).toBe('verified')
  })

  it('keeps COMMENT ON DATABASE, ALTER ROLE … IN DATABASE … SET, the grants and the owners on the new live database', async () => {
    expect(await sql(source, STATE)).toEqual(before)
  })
})

describe('materialized views are checked, and stale ones are not silently refreshed', () => {
  const source = `${prefix}_mvs`
  const STATE = `SELECT (SELECT string_agg(n::text || '×' || count, ',' ORDER BY n) FROM public.totals) AS totals,
    (SELECT count(*)::text FROM public.sales) AS sales`
  let stale: Record<string, string | null>[]

  beforeAll(async () => {
    await createDatabase(source)
    await sql(source, `
      CREATE TABLE public.sales (id int PRIMARY KEY, amount int);
      INSERT INTO public.sales SELECT i, i % 3 FROM generate_series(1, 30) i;
      CREATE MATERIALIZED VIEW public.totals AS SELECT amount AS n, count(*) FROM public.sales GROUP BY amount;
      INSERT INTO public.sales VALUES (31, 7);
      CREATE MATERIALIZED VIEW public.never_filled AS SELECT id FROM public.sales WITH NO DATA;
    `)
    stale = await sql(source, STATE)
  })

  it('refuses a stale materialized view up front, naming it, and leaves production as it was', async () => {
    expect(stale).toEqual([{ totals: '0×10,1×10,2×10', sales: '31' }])
    const config = configIn(tempDir('mvstale'), { source: pgUrl(source), staging: pgUrl(`${source}_stg1`) })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MATVIEW_STALE')
    expect(error.message).toContain(`${source}: materialized view(s) public.totals hold rows their query no longer returns (stale)`)
    expect(error.ctx.hint).toContain('refreshMaterializedViews: true')
    expect(await sql(source, STATE)).toEqual(stale)
    expect(await databasesWithPrefix(`${source}_`)).toEqual([])
  })

  it('with refreshMaterializedViews: true, carries the view refreshed and checks it against its query on both hops', async () => {
    const config = configIn(tempDir('mvrefresh'), { source: pgUrl(source), staging: pgUrl(`${source}_stg2`), refreshMaterializedViews: true })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(result.report.hop1.materializedViews).toMatchObject({ compared: 1, mismatches: [] })
    expect(result.report.hop2.materializedViews).toMatchObject({ compared: 1, mismatches: [] })
    expect(await sql(source, STATE)).toEqual([{ totals: '0×10,1×10,2×10,7×1', sales: '31' }])
    expect(await sql(source, "SELECT relispopulated::text AS p FROM pg_catalog.pg_class WHERE oid = 'public.never_filled'::regclass")).toEqual([{ p: 'false' }])
  })

  it('hop 2 catches a materialized view whose contents differ on the production copy', async () => {
    const config = configIn(tempDir('mvhop2'), { source: pgUrl(source), staging: pgUrl(`${source}_stg3`) })
    const observer = async (stage: string, ctx: RunContext) => {
      if (stage !== 'loadback') return
      await sql(ctx.loadTarget!.database, `INSERT INTO public.sales VALUES (99, 9); REFRESH MATERIALIZED VIEW public.totals; DELETE FROM public.sales WHERE id = 99`)
    }
    const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: observer }), 'DD_VERIFY_MISMATCH')
    expect(error.message).toMatch(/^hop 2 \(migrated staging → production copy\): 1 table\(s\) differ:\n {2}public\.totals: materialized view: 4 rows on staging, 5 rows on the production copy$/)
    expect(await sql(source, STATE)).toEqual([{ totals: '0×10,1×10,2×10,7×1', sales: '31' }])
  })
})
