/**
 * Staging checkpoints: saved after hop 1, restored after a migration changed staging, and the
 * restored staging equals hop 1 (checked table by table). PostgreSQL with a staging URL (a
 * template copy of the database), PostgreSQL ephemeral (a copy of the stopped data directory,
 * restored into the running server and into a fresh one) and MariaDB (the dump files, reloaded).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkpointDatabaseName, restoreCheckpoint, saveCheckpoint } from '../../pipeline/stages/checkpoint/checkpoint.ts'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import type { StageName } from '../../pipeline/errors.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import * as my from '../helpers/mysql.ts'
import * as pgh from '../helpers/postgres.ts'

const pgPrefix = pgh.uniquePrefix('tf')
const myPrefix = my.uniquePrefix('tf')

afterAll(async () => {
  await pgh.dropDatabasesWithPrefix(pgPrefix)
  await my.dropDatabasesWithPrefix(myPrefix)
  removeTempDirs()
})

/** Runs a rehearsal that saves a checkpoint after hop 1 and restores it once the migration changed staging. */
async function rehearseWithRestore(
  config: ReturnType<typeof configIn>, afterMigrate: (ctx: RunContext) => Promise<void>,
  beforeRestore?: (ctx: RunContext) => Promise<void>, afterRestore?: (ctx: RunContext) => Promise<void>,
) {
  const seen: Record<string, unknown> = {}
  const result = await runUpgrade(config, {
    ...RUN_OPTIONS, rehearse: true,
    afterStage: async (stage: StageName, ctx: RunContext) => {
      if (stage === 'verify-hop1') seen.saved = await saveCheckpoint(ctx)
      if (stage === 'migrate') {
        await afterMigrate(ctx)
        await beforeRestore?.(ctx)
        await restoreCheckpoint(ctx, { verify: true })
        seen.stepsAfterRestore = ctx.manifest.data.steps.length
        seen.staging = ctx.staging
        await afterRestore?.(ctx)
      }
    },
  })
  return { result, seen }
}

describe('staging checkpoints on PostgreSQL', () => {
  const live = `${pgPrefix}_live`
  beforeAll(async () => {
    await pgh.createDatabase(live)
    await pgh.sql(live, `CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10, 2));
      INSERT INTO items SELECT i, 'item ' || i, i * 1.25 FROM generate_series(1, 3000) i;
      CREATE TABLE tags (id serial PRIMARY KEY, label text UNIQUE); INSERT INTO tags (label) VALUES ('a'), ('b');`)
  })

  const migration = (dir: string) => {
    writeFile(dir, '01.sql', "UPDATE items SET price = price * 2; DELETE FROM tags WHERE label = 'b'; CREATE TABLE extra (x int);\n")
    return [{ sql: '01.sql' }]
  }
  const stagingIsBack = async (ctx: RunContext, database: string) => {
    const rows = await pgh.withClient(database, async (c) => (await c.query("SELECT (SELECT sum(price)::text FROM items) AS total, (SELECT count(*)::text FROM tags) AS tags, to_regclass('extra')::text AS extra")).rows[0], {
      port: ctx.staging!.port, user: ctx.staging!.user,
    })
    expect(rows).toEqual({ total: '5626875.00', tags: '2', extra: null })
  }

  it('keeps a template copy of a staging URL and restores it', async () => {
    const dir = tempDir('ckpt-pg-url')
    const staging = `${pgPrefix}_stg`
    const config = configIn(dir, { source: pgh.pgUrl(live), staging: pgh.pgUrl(staging), migrate: migration(dir) })
    let migratedTotal: string | undefined
    const { result, seen } = await rehearseWithRestore(config, async () => {
      migratedTotal = (await pgh.sql(staging, 'SELECT sum(price)::text AS t FROM items'))[0]!.t!
    })
    expect(migratedTotal).toBe('11253750.00')
    expect(seen.saved).toMatchObject({ kind: 'database-copy', location: checkpointDatabaseName(staging, result.report.runId) })
    expect(await pgh.databaseExists(checkpointDatabaseName(staging, result.report.runId))).toBe(true)
    expect(seen.stepsAfterRestore).toBe(0)
    expect(result.report.verdict).toBe('verified')
    // Loaded back from the restored (unmigrated) staging: the production copy has the old prices.
    const items = result.report.hop2.tables.find((t) => t.table === 'public.items')
    expect(items?.staging).toEqual(result.report.hop1.tables.find((t) => t.table === 'public.items')?.staging)
  })

  it('keeps a copy of an ephemeral server\'s stopped data directory, restores it into the running server and into a new one', async () => {
    const dir = tempDir('ckpt-pg-eph')
    const config = configIn(dir, { source: pgh.pgUrl(live), staging: 'ephemeral', migrate: migration(dir) })
    const { result, seen } = await rehearseWithRestore(config, async (ctx) => {
      expect((await pgh.withClient(ctx.staging!.database, async (c) => (await c.query('SELECT count(*)::text AS n FROM tags')).rows[0].n, { port: ctx.staging!.port, user: ctx.staging!.user }))).toBe('1')
    }, undefined, (ctx) => stagingIsBack(ctx, ctx.staging!.database))
    expect(seen.saved).toMatchObject({ kind: 'data-directory' })
    expect((seen.saved as { bytes: number }).bytes).toBeGreaterThan(1_000_000)
    expect(existsSync(join(result.runDir, 'checkpoint', 'pgdata', 'PG_VERSION'))).toBe(true)
    expect(result.report.verdict).toBe('verified')

    // A later process: the server is gone; the restore sets up a new one from the copy.
    const dir2 = tempDir('ckpt-pg-eph2')
    const config2 = configIn(dir2, { source: pgh.pgUrl(live), staging: 'ephemeral', migrate: migration(dir2) })
    const second = await rehearseWithRestore(config2, async () => {}, async (ctx) => {
      await ctx.ephemeral!.stop()
      ctx.ephemeral = undefined
    })
    expect(second.result.report.verdict).toBe('verified')
    expect(second.seen.stepsAfterRestore).toBe(0)
    expect(second.result.report.checkpoint?.restores).toHaveLength(1)
  })
})

describe('staging checkpoints on MariaDB', () => {
  const live = `${myPrefix}_live`
  beforeAll(async () => {
    await my.createDatabase(live)
    await my.sql(live, `CREATE TABLE items (id int PRIMARY KEY, name varchar(20), price decimal(10, 2), data blob) ENGINE=InnoDB;
      INSERT INTO items SELECT seq, CONCAT('item ', seq), seq * 1.25, UNHEX(MD5(seq)) FROM seq_1_to_3000;
      CREATE TABLE tags (id int AUTO_INCREMENT PRIMARY KEY, label varchar(5) UNIQUE, item_id int, FOREIGN KEY (item_id) REFERENCES items (id)) ENGINE=InnoDB;
      INSERT INTO tags (label, item_id) VALUES ('a', 1), ('b', 2);`)
  })

  it('reloads the dump files into a recreated staging database, checked against hop 1', async () => {
    const dir = tempDir('ckpt-my')
    const staging = `${myPrefix}_stg`
    writeFile(dir, '01.sql', "UPDATE items SET price = price * 2; DELETE FROM tags WHERE label = 'b'; CREATE TABLE extra (x int);\n")
    const config = configIn(dir, { source: my.myUrl(live), staging: my.myUrl(staging), migrate: [{ sql: '01.sql' }] })
    let restored: unknown
    const { result, seen } = await rehearseWithRestore(config, async () => {
      expect((await my.sql(staging, 'SELECT CAST(SUM(price) AS CHAR) AS t FROM items'))[0]!.t).toBe('11253750.00')
    }, undefined, async () => {
      restored = {
        tables: await my.baseTables(staging),
        data: (await my.sql(staging, 'SELECT CAST(SUM(price) AS CHAR) AS t, (SELECT COUNT(*) FROM tags) AS tags FROM items'))[0],
        counter: await my.autoIncrement(staging, 'tags'),
      }
    })
    expect(seen.saved).toMatchObject({ kind: 'dump-files', location: join(result.runDir, 'dump') })
    expect(restored).toEqual({ tables: ['items', 'tags'], data: { t: '5626875.00', tags: '2' }, counter: '3' })
    expect(result.report.verdict).toBe('verified')
    expect(result.report.checkpoint?.restores).toHaveLength(1)
  })
})
