/**
 * One database holding every object drydock must carry exactly (a database grant to an app
 * role, objects owned by a second role, COMMENT ON DATABASE, ALTER DATABASE / ALTER ROLE … IN
 * DATABASE settings, sequences with their own options, one left behind its column's max, a
 * populated and an unpopulated materialized view) together with the nasty-value tables, through
 * ephemeral staging, URL staging and a `target`. Before and after, an independent digest
 * (pg_dump --schema-only, pg_catalog queries, per-table md5 of ordered rows: none of drydock's
 * code) must be identical, or the run must refuse up front.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { cleanupCommand } from '../../pipeline/commands/cleanup-command.ts'
import { configIn, expectDrydockError, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import { createDatabase, databasesWithPrefix, dropDatabasesWithPrefix, ident, pgUrl, schemaDump, sql, tableDigests, uniquePrefix } from '../helpers/postgres.ts'
import { DATA, SCHEMA } from '../fixtures/postgres-nasty-values.ts'

const prefix = uniquePrefix('exact')
const source = `${prefix}_src`
const app = `${prefix}_app`
const owner = `${prefix}_owner`

const objects = (db: string) => `
REVOKE ALL ON DATABASE ${ident(db)} FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ${ident(db)} TO ${ident(app)};
COMMENT ON DATABASE ${ident(db)} IS 'app data: "exact", l''apostrophe';
ALTER DATABASE ${ident(db)} SET work_mem = '5MB';
ALTER ROLE ${ident(app)} IN DATABASE ${ident(db)} SET search_path = public, "Other Schema";
CREATE SCHEMA owned AUTHORIZATION ${ident(owner)};
CREATE TABLE owned.items (id serial PRIMARY KEY, label text NOT NULL);
ALTER TABLE owned.items OWNER TO ${ident(owner)};
GRANT USAGE ON SCHEMA owned TO ${ident(app)};
GRANT SELECT, INSERT, UPDATE ON owned.items TO ${ident(app)};
INSERT INTO owned.items (id, label) SELECT i, 'item ' || i FROM generate_series(1, 30) i;
SELECT setval('owned.items_id_seq', 10);
CREATE SEQUENCE public.odd_seq AS integer START 5 INCREMENT 3 MINVALUE 2 MAXVALUE 1000 CACHE 2 CYCLE;
SELECT nextval('public.odd_seq'), nextval('public.odd_seq');
CREATE SEQUENCE public.untouched_seq;
COMMENT ON TABLE public.side IS 'the side table';
CREATE MATERIALIZED VIEW public.side_summary AS SELECT count(*) AS n, string_agg(note, ',' ORDER BY id) AS notes FROM public.side;
CREATE MATERIALIZED VIEW public.never_filled AS SELECT id FROM public.side WITH NO DATA;
`

/** Everything the catalog says of the database beyond pg_dump, and pg_dump itself, and every row. */
async function digest(db: string) {
  // Each list sorted by its text (C collation), so that object ids and creation order do not count.
  const list = (select: string) => `(SELECT jsonb_agg(v ORDER BY v COLLATE "C") FROM (${select}) q(v))`
  const here = 'datname = current_database()'
  const user = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'"
  const catalog = await sql(db, `
    SELECT jsonb_build_object(
      'owner', (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE ${here}),
      'acl', (SELECT datacl::text FROM pg_database WHERE ${here}),
      'comment', (SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE ${here}),
      'settings', ${list(`SELECT coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '*') || ':' || array_to_string(s.setconfig, '|')
                     FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.${here}`)},
      'grants', ${list(`SELECT c.oid::regclass::text || ' ' || pg_get_userbyid(c.relowner) || ' ' || coalesce(c.relacl::text, '-')
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${user} AND c.relkind IN ('r', 'p', 'v', 'm', 'S')`)},
      'schemas', ${list(`SELECT n.nspname || ' ' || pg_get_userbyid(n.nspowner) || ' ' || coalesce(n.nspacl::text, '-') FROM pg_namespace n WHERE ${user}`)},
      'matviews', ${list("SELECT oid::regclass::text || ' populated=' || relispopulated FROM pg_class WHERE relkind = 'm'")}
    )::text AS catalog`)
  const sequences: string[] = []
  for (const s of await sql(db, `SELECT format('%I.%I', schemaname, sequencename) AS name,
      concat_ws(' ', data_type, start_value, min_value, max_value, increment_by, cycle, cache_size) AS options FROM pg_sequences ORDER BY 1`)) {
    const [state] = await sql(db, `SELECT last_value::text || ' ' || is_called AS state FROM ${s.name}`)
    sequences.push(`${s.name} ${s.options} ${state!.state}`)
  }
  const [summary] = await sql(db, "SELECT n::text || ' ' || notes AS v FROM public.side_summary")
  return { catalog: JSON.parse(catalog[0]!.catalog!), sequences, summary: summary!.v, schema: await schemaDump(db), rows: await tableDigests(db) }
}

let before: Awaited<ReturnType<typeof digest>>

beforeAll(async () => {
  await sql('postgres', `CREATE ROLE ${ident(app)} LOGIN; CREATE ROLE ${ident(owner)} NOLOGIN`)
  await createDatabase(source)
  await sql(source, SCHEMA)
  await sql(source, DATA)
  await sql(source, objects(source))
  before = await digest(source)
})

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  await sql('postgres', `DROP ROLE IF EXISTS ${ident(app)}; DROP ROLE IF EXISTS ${ident(owner)}`)
  removeTempDirs()
})

describe('every object, exactly, through each kind of staging and target', () => {
  it('the fixture holds what it should', () => {
    expect(before.catalog.comment).toBe('app data: "exact", l\'apostrophe')
    expect(before.catalog.settings).toEqual(['*:work_mem=5MB', `${app}:search_path=public, "Other Schema"`])
    expect(before.sequences).toEqual([
      'owned.items_id_seq integer 1 1 2147483647 1 f 1 10 true',
      'public.odd_seq integer 5 2 1000 3 t 2 8 true',
      'public.untouched_seq bigint 1 1 9223372036854775807 1 f 1 1 false',
    ])
    expect(before.catalog.matviews).toEqual(['never_filled populated=false', 'side_summary populated=true'])
  })

  it.each([
    { name: 'ephemeral staging, in place', staging: () => 'ephemeral', target: undefined },
    { name: 'URL staging, in place', staging: () => pgUrl(`${prefix}_stg`), target: undefined },
    { name: 'URL staging into a target', staging: () => pgUrl(`${prefix}_stg2`), target: `${prefix}_target` },
  ])('$name: the independent digest is identical afterwards', async ({ staging, target }) => {
    const config = configIn(tempDir('exact'), { source: pgUrl(source), staging: staging(), ...(target ? { target: pgUrl(target) } : {}) })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(result.report.hop1.sequences?.mismatches).toEqual([])
    expect(result.report.hop2.materializedViews).toMatchObject({ compared: 1, mismatches: [] })
    expect(result.report.sequencesBehind.map((b) => b.fix)).toEqual(["SELECT setval('owned.items_id_seq', (SELECT max(id) FROM owned.items));"])
    // In place the old data stays beside the new until --cleanup (a backup schema under the schema swap).
    if (!target) await cleanupCommand(result.runDir, undefined)
    expect(await digest(target ?? source)).toEqual(before)
    if (target) expect(await digest(source)).toEqual(before)
  })

  it('a stale materialized view: the run refuses up front, and nothing changes', async () => {
    await sql(source, "INSERT INTO public.side VALUES (99, 'written after the refresh')")
    const stale = await digest(source)
    const config = configIn(tempDir('exact-stale'), { source: pgUrl(source), staging: 'ephemeral' })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MATVIEW_STALE')
    expect(error.message).toBe(`${source}: materialized view(s) public.side_summary hold rows their query no longer returns (stale); drydock can only recreate a materialized view by refreshing it, so they would come back changed`)
    expect(await digest(source)).toEqual(stale)
    expect(await databasesWithPrefix(`${source}_dd_shadow`)).toEqual([])
  })
})
