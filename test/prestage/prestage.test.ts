/**
 * --prestage, then the refresh in the window (pipeline/stages/refresh), on both engines: production
 * keeps being written between the two (inserts, updates, deletes in several tables, a new
 * table, a dropped table), and the upgraded production must equal the same migration run in
 * place on the final data. A changed table definition is refused; a refresh killed half-way
 * resumes; a write after the refresh's snapshot is caught by the write fence.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { cleanupCommand } from '../../pipeline/commands/cleanup-command.ts'
import type { ParsedConfig } from '../../pipeline/config/config.ts'
import { configIn, expectDrydockError, readManifest, readReport, removeTempDirs, runCli, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES, type TestEngine } from '../helpers/engines.ts'
import { runCliKilledAt } from '../helpers/kill-at.ts'

/** Copies split finely enough that the refresh has several parts per table. */
const PART_BYTES = 256 * 1024

const EXTRA: Record<TestEngine['engine'], string> = {
  postgres: `
    CREATE TABLE big (id bigint PRIMARY KEY, body text);
    INSERT INTO big SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 6000) i;
    CREATE TABLE tags (name text NOT NULL, n int NOT NULL);
    INSERT INTO tags SELECT 'tag' || i, i FROM generate_series(1, 100) i;
    CREATE TABLE scratch (id int PRIMARY KEY, v text);
    INSERT INTO scratch VALUES (1, 'x');
    -- Fired again by the refresh's copies, it would change staging: they must not fire it.
    CREATE FUNCTION mark_body() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := NEW.body || '!'; RETURN NEW; END $$;
    CREATE TRIGGER big_mark BEFORE INSERT ON big FOR EACH ROW EXECUTE FUNCTION mark_body();
    ANALYZE;`,
  mysql: `
    CREATE TABLE big (id BIGINT PRIMARY KEY, body TEXT);
    INSERT INTO big SELECT seq, REPEAT(MD5(seq), 4) FROM seq_1_to_6000;
    CREATE TABLE tags (name VARCHAR(20) NOT NULL, n INT NOT NULL);
    INSERT INTO tags SELECT CONCAT('tag', seq), seq FROM seq_1_to_100;
    CREATE TABLE scratch (id INT PRIMARY KEY, v TEXT);
    INSERT INTO scratch VALUES (1, 'x');
    CREATE TRIGGER big_mark BEFORE INSERT ON big FOR EACH ROW SET NEW.body = CONCAT(NEW.body, '!');
    ANALYZE TABLE big, tags, scratch;`,
}

/** Written on production between the prestage and the refresh. */
const WRITES: Record<TestEngine['engine'], string> = {
  postgres: `
    INSERT INTO accounts (id, email, balance) VALUES (51, 'late@example.com', 3);
    UPDATE accounts SET balance = balance + 10 WHERE id = 7;
    DELETE FROM orders WHERE id IN (5, 6);
    INSERT INTO orders (account_id, placed_at, items) VALUES (51, timestamptz '2025-01-01 00:00+00', '[1]');
    UPDATE big SET body = 'changed' WHERE id = 2500;
    DELETE FROM big WHERE id = 10;
    INSERT INTO big VALUES (90001, 'beyond the prestaged keys');
    UPDATE tags SET n = n + 1 WHERE name = 'tag5';
    CREATE TABLE notes (id int PRIMARY KEY, account_id int NOT NULL REFERENCES accounts (id), body text);
    CREATE INDEX notes_account_idx ON notes (account_id);
    INSERT INTO notes VALUES (1, 51, 'hello'), (2, 7, 'again');`,
  mysql: `
    INSERT INTO accounts (id, email, balance) VALUES (51, 'late@example.com', 3);
    UPDATE accounts SET balance = balance + 10 WHERE id = 7;
    DELETE FROM orders WHERE id IN (5, 6);
    INSERT INTO orders (account_id, placed_at, items) VALUES (51, TIMESTAMP '2025-01-01 00:00:00', JSON_ARRAY(1));
    UPDATE big SET body = 'changed' WHERE id = 2500;
    DELETE FROM big WHERE id = 10;
    INSERT INTO big VALUES (90001, 'beyond the prestaged keys');
    UPDATE tags SET n = n + 1 WHERE name = 'tag5';
    CREATE TABLE notes (id INT PRIMARY KEY, account_id INT NOT NULL, body TEXT, KEY notes_account_idx (account_id),
      CONSTRAINT notes_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id));
    INSERT INTO notes VALUES (1, 51, 'hello'), (2, 7, 'again');`,
}

afterAll(() => removeTempDirs())

describe.each(ENGINES)('prestage, then refresh in the window, on $name', (engine) => {
  const prefix = engine.uniquePrefix('prestage')
  const tableOf = (database: string, name: string) => (engine.engine === 'postgres' ? `public.${name}` : `${database}.${name}`)
  afterAll(async () => { await engine.dropWithPrefix(prefix) })

  async function app(database: string): Promise<void> {
    await engine.createApp(database)
    await engine.query(database, EXTRA[engine.engine])
  }

  /** The same data and writes, then the migration in place: what the upgraded production must equal. */
  async function inPlace(tag: string, writes: string): Promise<Awaited<ReturnType<TestEngine['state']>>> {
    const reference = `${prefix}_${tag}_ref`
    await app(reference)
    await engine.query(reference, writes)
    await engine.query(reference, engine.upgradeSql)
    return engine.state(reference)
  }

  function config(tag: string, database: string, staging: 'ephemeral' | 'url'): ParsedConfig {
    const dir = tempDir(`prestage-${engine.engine}-${tag}`)
    const upgrade = writeFile(dir, 'upgrade.sql', engine.upgradeSql)
    return configIn(dir, { source: engine.url(database), staging: staging === 'url' ? engine.url(`${database}_stg`) : 'ephemeral', migrate: [{ sql: upgrade }] })
  }

  async function prestage(c: ParsedConfig, database: string): Promise<string> {
    const before = await engine.state(database)
    const result = await runUpgrade(c, { ...RUN_OPTIONS, partBytes: PART_BYTES, prestage: true })
    const m = readManifest(result.runDir)
    expect(m.prestage?.status).toBe('prestaged')
    expect(m.stages['verify-hop1']?.status).toBe('done')
    expect(m.stages.migrate).toBeUndefined()
    expect(m.verdict).toBeUndefined()
    // Production only read, nothing beside it yet.
    expect(await engine.state(database)).toEqual(before)
    expect(await engine.withPrefix(`${database}_dd_`)).toEqual([])
    return result.runDir
  }

  it('writes of every kind between prestage and refresh: production ends equal to the migration in place on the final data', async () => {
    const live = `${prefix}_main`
    const table = (name: string) => tableOf(live, name)
    await app(live)
    const c = config('main', live, 'ephemeral')
    const runDir = await prestage(c, live)
    const m0 = readManifest(runDir)
    expect(m0.prestage!.parts[table('big')]!.length).toBeGreaterThan(3)
    expect(m0.prestage!.parts[table('tags')]).toHaveLength(1)
    await engine.query(live, WRITES[engine.engine])

    const result = await resumeUpgrade(runDir, c, { ...RUN_OPTIONS, partBytes: PART_BYTES })
    expect(result.report.verdict).toBe('verified')
    await cleanupCommand(runDir, undefined)
    expect(await engine.state(live)).toEqual(await inPlace('main', WRITES[engine.engine]))

    const m = readManifest(runDir)
    const refreshed = new Map(m.refresh!.tables.map((t) => [t.table, t]))
    const big = refreshed.get(table('big'))!
    expect(big.action).toBe('ranges')
    // Three changes (an update, a delete, a key past the old maximum) in at most three parts of many.
    expect(big.parts).toBeLessThanOrEqual(3)
    expect(big.ofParts).toBe(m0.prestage!.parts[table('big')]!.length)
    expect(big.reason).toMatch(/part\(s\) differed/)
    expect(refreshed.get(table('tags'))).toMatchObject({ action: 'whole', reason: expect.stringMatching(/no single integer key/) })
    expect(refreshed.get(table('notes'))).toMatchObject({ action: 'created', rows: 2 })
    expect(refreshed.has(table('accounts'))).toBe(true)
    expect(refreshed.has(table('orders'))).toBe(true)
    expect(refreshed.has(table('scratch'))).toBe(false)
    expect(m.refresh!.partsCopied).toBeLessThan(m.refresh!.partsChecked!)
    // The fence and the snapshot are the refresh's; the window runs from the refresh to the swap.
    expect(m.snapshot!.id).toBe(m.refresh!.snapshot!.id)
    expect(m.snapshot!.id).not.toBe(m0.snapshot!.id)
    expect(m.fence!.tables.map((t) => `${t.schema}.${t.name}`)).toContain(table('notes'))
    expect(m.window!.startedAt).toBe(m.refresh!.startedAt)
    expect(m.window!.ms).toBe(Date.parse(m.window!.endedAt) - Date.parse(m.window!.startedAt))
    const report = readReport(runDir)
    expect(report.window).toEqual(m.window)
    expect(report.refresh!.tables).toHaveLength(m.refresh!.tables.length)
    const markdown = readFileSync(join(runDir, 'report.md'), 'utf8')
    expect(markdown).toContain('## Refresh (start of the window)')
    expect(markdown).toContain(table('notes'))
  })

  it('a table dropped on production since the prestage is dropped on staging too', async () => {
    const live = `${prefix}_drop`
    const table = (name: string) => tableOf(live, name)
    await app(live)
    const c = config('drop', live, 'url')
    const runDir = await prestage(c, live)
    const writes = 'DROP TABLE scratch; UPDATE accounts SET balance = 1 WHERE id = 3;'
    await engine.query(live, writes)
    const result = await resumeUpgrade(runDir, c, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    await cleanupCommand(runDir, undefined)
    expect(await engine.state(live)).toEqual(await inPlace('drop', writes))
    const m = readManifest(runDir)
    expect(m.refresh!.tables).toContainEqual(expect.objectContaining({ table: table('scratch'), action: 'dropped' }))
    expect(m.tables[table('scratch')]).toBeUndefined()
  })

  it('a table whose definition changed is refused by name, production untouched and the run resumable', async () => {
    const live = `${prefix}_alter`
    const table = (name: string) => tableOf(live, name)
    await app(live)
    const c = config('alter', live, 'url')
    const runDir = await prestage(c, live)
    await engine.query(live, 'ALTER TABLE tags ADD COLUMN note VARCHAR(10)')
    const altered = await engine.state(live)
    const error = await expectDrydockError(resumeUpgrade(runDir, c, RUN_OPTIONS), 'DD_REFRESH_SCHEMA_CHANGED')
    expect(error.message).toContain(`the definition of 1 table(s) changed on production since the prestage (columns, types or primary key): ${table('tags')}`)
    expect(error.ctx.hint).toContain('--prestage again')
    expect(await engine.state(live)).toEqual(altered)
    expect(await engine.withPrefix(`${live}_dd_`)).toEqual([])
    expect(readManifest(runDir).stages.refresh?.status).toBe('failed')
  })

  it('a refresh killed after a part committed, before its record, resumes to the same result', async () => {
    const live = `${prefix}_kill`
    const table = (name: string) => tableOf(live, name)
    await app(live)
    const dir = tempDir(`prestage-${engine.engine}-kill`)
    writeFile(dir, 'upgrade.sql', engine.upgradeSql)
    writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ source: engine.url(live), staging: engine.url(`${live}_stg`), runDir: 'runs', migrate: [{ sql: 'upgrade.sql' }] })}\n`)
    const first = await runCli(['--prestage', '--part-mb', String(PART_BYTES / 1024 / 1024), '--jobs', '2'], dir)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('prestaged:')
    const runDir = first.stdout.match(/then run: npx zx scripts\/offline-upgrade.mjs --resume (\S+)/)![1]!
    await engine.query(live, WRITES[engine.engine])
    await runCliKilledAt('refresh-part', ['--resume', runDir, '--yes', '--jobs', '2', '--part-mb', String(PART_BYTES / 1024 / 1024)])
    const killed = readManifest(runDir)
    expect(killed.stages.refresh?.status).toBe('running')
    expect(Object.values(killed.prestage!.parts).flat().some((p) => p.dirty)).toBe(true)
    const second = await runCli(['--resume', runDir, '--yes', '--jobs', '2', '--part-mb', String(PART_BYTES / 1024 / 1024)], dir)
    expect(second.code, second.stderr).toBe(0)
    // The old data is kept until --cleanup (PostgreSQL's schema swap keeps it in the database).
    await cleanupCommand(runDir, undefined)
    expect(await engine.state(live)).toEqual(await inPlace('kill', WRITES[engine.engine]))
    const m = readManifest(runDir)
    expect(m.verdict).toBe('verified')
    expect(Object.values(m.prestage!.parts).flat().some((p) => p.dirty)).toBe(false)
  })

  it('a write after the refresh\'s snapshot is caught by the write fence, and nothing is swapped', async () => {
    const live = `${prefix}_fence`
    const table = (name: string) => tableOf(live, name)
    await app(live)
    const c = config('fence', live, 'url')
    const runDir = await prestage(c, live)
    await engine.query(live, 'UPDATE accounts SET balance = 2 WHERE id = 4')
    const run = resumeUpgrade(runDir, c, {
      ...RUN_OPTIONS,
      afterStage: async (stage) => {
        if (stage === 'refresh') await engine.query(live, "UPDATE tags SET n = 0 WHERE name = 'tag9'")
      },
    })
    const error = await expectDrydockError(run, 'DD_WRITE_FENCE')
    expect(error.message).toContain(table('tags'))
    // Still the old schema: not swapped.
    const columns = await engine.query(live, engine.engine === 'postgres'
      ? "SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'nickname'"
      : "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'nickname'")
    expect(columns).toEqual([])
    expect(readManifest(runDir).swap).toBeUndefined()
  })

  it('an ordinary run records its window too: from its start to the end of the swap', async () => {
    const live = `${prefix}_plain`
    await app(live)
    const result = await runUpgrade(config('plain', live, 'url'), RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const m = readManifest(result.runDir)
    expect(m.prestage).toBeUndefined()
    expect(m.window).toEqual({ startedAt: m.createdAt, endedAt: m.stages.swap!.finishedAt, ms: Date.parse(m.stages.swap!.finishedAt!) - Date.parse(m.createdAt) })
    expect(readReport(result.runDir).window).toEqual(m.window)
  })
})
