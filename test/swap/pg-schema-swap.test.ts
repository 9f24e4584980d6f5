/**
 * PostgreSQL keeps unchanged tables live: the copy goes into shadow schemas of the live database
 * and one transaction swaps schemas; kept tables move across unchanged (same relfilenode), foreign
 * keys and views reach them after the swap and after the rollback, and the result equals the same
 * migration run in place (schema dump and rows).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { ManifestStore, runPaths } from '../../pipeline/run-state/run-dir.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { cleanupRun, rollbackRun } from '../../pipeline/stages/swap/swap-stage.ts'
import { configIn, expectDrydockError, readManifest, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, dropDatabasesWithPrefix, ident, pgUrl, sql, uniquePrefix } from '../helpers/postgres.ts'
import { appDigests, appSchemaDump, drydockSchemas, fails, migrateInPlace, storageOf } from './pg-schema-swap-helpers.ts'

const prefix = uniquePrefix('pgss')

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

const SEED = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors (id), title text);
CREATE TABLE reviews (id int PRIMARY KEY, book_id int REFERENCES books (id), stars int);
CREATE TABLE tags (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, t text UNIQUE);
CREATE TABLE moods (id int PRIMARY KEY, m mood);
CREATE TABLE audit (id int PRIMARY KEY, v int);
CREATE FUNCTION audit_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := NEW.v + 1; RETURN NEW; END $$;
CREATE TRIGGER audit_bi BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_bump();
CREATE VIEW v_tags AS SELECT id, upper(t) AS t FROM tags;
CREATE VIEW v_books AS SELECT b.id, b.title, a.name FROM books b JOIN authors a ON a.id = b.author_id;
CREATE ROLE ${'${role}'} NOLOGIN;
INSERT INTO authors (name) SELECT 'author ' || g FROM generate_series(1, 300) g;
INSERT INTO books SELECT g, 1 + g % 300, 'book ' || g FROM generate_series(1, 500) g;
INSERT INTO reviews SELECT g, 1 + g % 500, g % 5 FROM generate_series(1, 200) g;
INSERT INTO tags (t) SELECT 'tag' || g FROM generate_series(1, 50) g;
INSERT INTO moods VALUES (1, 'ok'), (2, 'happy');
INSERT INTO audit VALUES (1, 10);
`

const MIGRATION = `ALTER TABLE books ADD COLUMN isbn text;
UPDATE books SET title = upper(title);
CREATE INDEX books_title ON books (title);
CREATE OR REPLACE VIEW v_books AS SELECT b.id, b.title, a.name, b.isbn FROM books b JOIN authors a ON a.id = b.author_id`

async function seeded(tag: string): Promise<string> {
  const db = `${prefix}_${tag}`
  await createDatabase(db)
  await sql(db, SEED.replace('CREATE ROLE ${role} NOLOGIN;', ''))
  return db
}

describe('PostgreSQL: schema swap keeps unchanged tables live', () => {
  it('keeps authors and tags (same relfilenode), copies the rest with reasons, equals the migration in place, and rolls back', async () => {
    const db = await seeded('keep')
    const inPlace = `${prefix}_keep_inplace`
    await sql('postgres', `CREATE DATABASE ${ident(inPlace)} TEMPLATE ${ident(db)}`)
    const before = { schema: await appSchemaDump(db), data: await appDigests(db) }
    const files = { authors: await storageOf(db, 'public.authors'), tags: await storageOf(db, 'public.tags') }

    const dir = tempDir('pgss')
    writeFile(dir, 'migrate.sql', MIGRATION)
    const config = configIn(dir, { source: pgUrl(db), staging: pgUrl(`${db}_stg`), migrate: [{ sql: 'migrate.sql' }] })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const manifest = readManifest(result.runDir)
    expect(manifest.swapPath?.kind).toBe('schema')
    expect(manifest.keep!.tables).toEqual(['public.authors', 'public.tags'])
    expect(Object.fromEntries(manifest.keep!.copiedAnyway.map((c) => [c.table, c.reason]))).toEqual({
      'public.reviews': 'it references public.books, which is copied',
      'public.moods': expect.stringMatching(/^it uses type mood .*schema swap/),
      'public.audit': expect.stringMatching(/^it uses function audit_bump\(\) .*schema swap/),
    })
    // Kept: the very same tables (oid and storage file); copied ones are new.
    expect(await storageOf(db, 'public.authors')).toBe(files.authors)
    expect(await storageOf(db, 'public.tags')).toBe(files.tags)
    expect(Object.values(manifest.keep!.files!).every((f) => f.before === f.after)).toBe(true)
    expect(await drydockSchemas(db)).toEqual([manifest.swap!.schemas![0]!.outgoing])

    // The same as running the migration in place: schema and rows.
    await migrateInPlace(inPlace, MIGRATION)
    expect(await appSchemaDump(db)).toBe(await appSchemaDump(inPlace))
    expect(await appDigests(db)).toEqual(await appDigests(inPlace))

    // Keys and views reach the kept live tables.
    expect(await fails(db, 'INSERT INTO books (id, author_id) VALUES (9999, 123456)')).toBe(true)
    expect(await fails(db, 'DELETE FROM authors WHERE id = 2')).toBe(true)
    await sql(db, "INSERT INTO tags (t) VALUES ('new')")
    expect(await sql(db, "SELECT t FROM v_tags WHERE t = 'NEW'")).toEqual([{ t: 'NEW' }])
    expect(await sql(db, 'SELECT count(*)::text AS n FROM v_books')).toEqual([{ n: '500' }])
    await sql(db, "DELETE FROM tags WHERE t = 'new'")
    // The old tables in the backup hold no key into the kept live tables (parked for rollback).
    const backup = manifest.swap!.schemas![0]!.outgoing
    expect(await sql(db, `SELECT count(*)::text AS n FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      WHERE k.contype = 'f' AND c.relnamespace = $1::regnamespace AND k.confrelid = 'public.authors'::regclass`, [backup])).toEqual([{ n: '0' }])
    expect(readReport(result.runDir).hop2.tables.filter((t) => t.check === 'kept').map((t) => t.table).sort()).toEqual(['public.authors', 'public.tags'])

    // --cleanup refuses to drop the backup while a live object uses it (CASCADE would take it), and drops nothing.
    const store = ManifestStore.load(runPaths(result.runDir).manifest)
    await sql(db, `CREATE VIEW public.v_old_books AS SELECT id FROM ${ident(backup)}.books`)
    const refused = await expectDrydockError(cleanupRun(postgresDriver, parseEndpoint(pgUrl(db), 'source'), store), 'DD_SWAP_SCHEMA_IN_USE')
    expect(refused.message).toMatch(/view v_old_books uses column id of table public_dd_backup_\d+\.books/)
    expect(await drydockSchemas(db)).toEqual([backup])
    await sql(db, 'DROP VIEW public.v_old_books')

    // Rollback: the pre-upgrade schema and rows, the kept tables still the same, keys and views working.
    const rejected = await rollbackRun(postgresDriver, parseEndpoint(pgUrl(db), 'source'), store)
    expect(await appSchemaDump(db)).toBe(before.schema)
    expect(await appDigests(db)).toEqual(before.data)
    expect(await storageOf(db, 'public.authors')).toBe(files.authors)
    expect(await storageOf(db, 'public.tags')).toBe(files.tags)
    expect(await fails(db, 'INSERT INTO books (id, author_id) VALUES (9999, 123456)')).toBe(true)
    expect(await fails(db, 'DELETE FROM authors WHERE id = 2')).toBe(true)
    expect(await sql(db, 'SELECT count(*)::text AS n FROM v_tags')).toEqual([{ n: '50' }])
    expect(await drydockSchemas(db)).toEqual([rejected])

    // Cleanup of the rolled-back run drops the rejected upgrade and nothing else.
    await cleanupRun(postgresDriver, parseEndpoint(pgUrl(db), 'source'), store)
    expect(await drydockSchemas(db)).toEqual([])
    expect(await appDigests(db)).toEqual(before.data)
  })

  it('swaps several schemas at once: a view in one schema on a kept table of another works after the swap and the rollback', async () => {
    const db = `${prefix}_multi`
    await createDatabase(db)
    await sql(db, `
      CREATE SCHEMA app; CREATE SCHEMA ref;
      CREATE TABLE ref.country (code text PRIMARY KEY, name text);
      CREATE TABLE app.customer (id int PRIMARY KEY, country text REFERENCES ref.country (code), name text);
      CREATE VIEW app.v_countries AS SELECT code, name FROM ref.country;
      CREATE VIEW ref.v_customers AS SELECT c.name, k.name AS country FROM app.customer c JOIN ref.country k ON k.code = c.country;
      INSERT INTO ref.country VALUES ('de', 'Germany'), ('fr', 'France');
      INSERT INTO app.customer SELECT g, CASE WHEN g % 2 = 0 THEN 'de' ELSE 'fr' END, 'c' || g FROM generate_series(1, 100) g`)
    const inPlace = `${prefix}_multi_inplace`
    await sql('postgres', `CREATE DATABASE ${ident(inPlace)} TEMPLATE ${ident(db)}`)
    const before = { schema: await appSchemaDump(db), data: await appDigests(db), country: await storageOf(db, 'ref.country') }
    const change = 'UPDATE app.customer SET name = upper(name)'
    const dir = tempDir('pgss-multi')
    writeFile(dir, 'migrate.sql', change)
    const result = await runUpgrade(configIn(dir, { source: pgUrl(db), staging: pgUrl(`${db}_stg`), migrate: [{ sql: 'migrate.sql' }] }), RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const manifest = readManifest(result.runDir)
    expect(manifest.keep!.tables).toEqual(['ref.country'])
    expect(manifest.swap!.schemas!.map((m) => m.schema).sort()).toEqual(['app', 'public', 'ref'])
    expect(await storageOf(db, 'ref.country')).toBe(before.country)
    await migrateInPlace(inPlace, change)
    expect(await appSchemaDump(db)).toBe(await appSchemaDump(inPlace))
    expect(await appDigests(db)).toEqual(await appDigests(inPlace))
    await sql(db, "INSERT INTO ref.country VALUES ('it', 'Italy')")
    expect(await sql(db, "SELECT name FROM app.v_countries WHERE code = 'it'")).toEqual([{ name: 'Italy' }])
    expect(await sql(db, "SELECT count(*)::text AS n FROM ref.v_customers WHERE name = 'C2'")).toEqual([{ n: '1' }])
    expect(await fails(db, "INSERT INTO app.customer VALUES (999, 'xx', 'x')")).toBe(true)
    await sql(db, "DELETE FROM ref.country WHERE code = 'it'")

    await rollbackRun(postgresDriver, parseEndpoint(pgUrl(db), 'source'), ManifestStore.load(runPaths(result.runDir).manifest))
    expect(await appSchemaDump(db)).toBe(before.schema)
    expect(await appDigests(db)).toEqual(before.data)
    expect(await storageOf(db, 'ref.country')).toBe(before.country)
    expect(await sql(db, 'SELECT count(*)::text AS n FROM app.v_countries')).toEqual([{ n: '2' }])
    expect(await fails(db, "DELETE FROM ref.country WHERE code = 'de'")).toBe(true)
  })
})
