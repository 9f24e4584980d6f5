/**
 * Sequences continue after the swap. This file also covers the ephemeral staging server
 * (staging: 'ephemeral'): drydock starts, uses and removes a throwaway PostgreSQL.
 */
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, dropDatabasesWithPrefix, pgUrl, sql, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('seq')
const source = `${prefix}_src`

const SCHEMA = `
CREATE TABLE serials (id serial PRIMARY KEY, note text);
CREATE TABLE bigs (id bigserial PRIMARY KEY, note text);
CREATE TABLE idents (id int GENERATED ALWAYS AS IDENTITY (START WITH 1000 INCREMENT BY 10) PRIMARY KEY, note text);
CREATE TABLE gaps (id serial PRIMARY KEY, note text);
CREATE SEQUENCE free_called;
CREATE SEQUENCE free_not_called;
CREATE SEQUENCE "Odd ""Seq"" Name" START 7;
CREATE SEQUENCE descending INCREMENT BY -1 MINVALUE -1000 MAXVALUE -1 START -1;

INSERT INTO serials (note) SELECT 'row ' || i FROM generate_series(1, 41) i;
INSERT INTO bigs (id, note) VALUES (DEFAULT, 'a');
SELECT setval('bigs_id_seq', 9000000000000000000);
INSERT INTO bigs (note) VALUES ('b');
INSERT INTO idents (note) SELECT 'row ' || i FROM generate_series(1, 5) i;
-- Values taken and then rolled back (or deleted) are not handed out again.
INSERT INTO gaps (note) SELECT 'row ' || i FROM generate_series(1, 10) i;
DELETE FROM gaps WHERE id > 6;
SELECT setval('free_called', 500);
SELECT setval('free_not_called', 42, false);
SELECT nextval('"Odd ""Seq"" Name"');
SELECT nextval('descending'), nextval('descending');
`

/** The migration adds a table with its own sequence, which must start where staging left it. */
const MIGRATION = `
CREATE TABLE added (id serial PRIMARY KEY, note text);
INSERT INTO added (note) VALUES ('one'), ('two'), ('three');
INSERT INTO serials (note) VALUES ('added on staging');
`

describe('sequences after the swap (ephemeral staging)', () => {
  let runDir = ''

  beforeAll(async () => {
    await createDatabase(source)
    await sql(source, SCHEMA)
    const dir = tempDir('seq')
    writeFile(dir, 'add.sql', MIGRATION)
    const config = configIn(dir, { source: pgUrl(source), staging: 'ephemeral', migrate: [{ sql: 'add.sql' }] })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    runDir = result.runDir
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('ran on an ephemeral server that is gone afterwards', () => {
    const manifest = readManifest(runDir)
    expect(manifest.staging.kind).toBe('ephemeral')
    expect(manifest.staging.endpoint).toMatch(new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:\\d+/${source}$`))
    expect(manifest.staging.endpoint).not.toContain(':5432/')
    expect(manifest.staging.version).toMatch(/^15\./)
    expect(manifest.swap?.status).toBe('swapped')
    // keepStaging: false: the server's data directory is removed.
    expect(existsSync(manifest.staging.dataDir!)).toBe(false)
  })

  it('gives max+1 to a row inserted without an id into a serial column', async () => {
    expect(await sql(source, 'SELECT max(id) AS max FROM serials')).toEqual([{ max: '42' }])
    expect(await sql(source, `INSERT INTO serials (note) VALUES ('after the swap') RETURNING id`)).toEqual([{ id: '43' }])
  })

  it('continues a bigserial near the top of bigint', async () => {
    expect(await sql(source, `INSERT INTO bigs (note) VALUES ('c') RETURNING id`)).toEqual([{ id: '9000000000000000002' }])
  })

  it('continues an identity column with its own start and increment', async () => {
    expect(await sql(source, 'SELECT max(id) AS max FROM idents')).toEqual([{ max: '1040' }])
    expect(await sql(source, `INSERT INTO idents (note) VALUES ('next') RETURNING id`)).toEqual([{ id: '1050' }])
  })

  it('does not hand out values used before deleted rows again', async () => {
    expect(await sql(source, `INSERT INTO gaps (note) VALUES ('next') RETURNING id`)).toEqual([{ id: '11' }])
  })

  it('keeps the values of sequences no column owns', async () => {
    expect(await sql(source, `SELECT nextval('free_called') AS v`)).toEqual([{ v: '501' }])
    expect(await sql(source, `SELECT nextval('free_not_called') AS v`)).toEqual([{ v: '42' }])
    expect(await sql(source, `SELECT nextval('"Odd ""Seq"" Name"') AS v`)).toEqual([{ v: '8' }])
    expect(await sql(source, `SELECT nextval('descending') AS v`)).toEqual([{ v: '-3' }])
  })

  it('starts a sequence the migration created where staging left it', async () => {
    expect(await sql(source, `INSERT INTO added (note) VALUES ('four') RETURNING id`)).toEqual([{ id: '4' }])
  })
})
