/**
 * PostgreSQL physical standbys cannot be written: they replay the WAL of the changed tables,
 * which is the floor. Against a REAL primary and streaming standby: the run records the WAL
 * written by the load back and the swap, the standby (listed as replicated) holds the swapped
 * database afterwards, and --rollback replicates too.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { postgresDriver } from '../../pipeline/drivers/postgres/postgres-driver.ts'
import { endpointUrl, withDatabase } from '../../pipeline/config/endpoint.ts'
import { ManifestStore, runPaths } from '../../pipeline/run-state/run-dir.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { rollbackRun } from '../../pipeline/stages/swap/swap-stage.ts'
import { configIn, readManifest, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { dropDatabasesWithPrefix, pgUrl, uniquePrefix } from '../helpers/postgres.ts'
import { hasPostgresBinaries, type StandbyPair, startStandbyPair } from '../throttle/pg-standby.ts'

const prefix = uniquePrefix('wal')
let pair: StandbyPair

async function query(on: 'primary' | 'standby', db: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ host: '127.0.0.1', port: pair[on].port, user: 'postgres', database: db })
  await client.connect()
  try {
    return (await client.query(text)).rows as Record<string, unknown>[]
  } finally {
    await client.end()
  }
}

/** Until the standby has replayed everything the primary wrote so far. */
async function caughtUp(): Promise<void> {
  const [{ lsn }] = await pair.sql('primary', 'SELECT pg_current_wal_lsn()::text AS lsn') as [{ lsn: string }]
  await vi.waitFor(async () => {
    const [row] = await pair.sql('standby', `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS done`)
    expect(row!.done).toBe(true)
  }, { timeout: 30_000, interval: 100 })
}

const CONTENT = "SELECT string_agg(id || ':' || t, ',' ORDER BY id) AS tags, (SELECT count(*)::int FROM logs) AS logs FROM tags"

describe.skipIf(!hasPostgresBinaries())('PostgreSQL primary and standby: the WAL of the load back is reported', () => {
  beforeAll(async () => {
    pair = await startStandbyPair()
  }, 90_000)

  afterAll(async () => {
    await pair?.stop()
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  it('records WAL bytes of load back and swap; the standby follows the swap and the rollback', async () => {
    await pair.sql('primary', 'CREATE DATABASE app')
    for (const statement of [
      'CREATE TABLE tags (id int PRIMARY KEY, t text)',
      'CREATE TABLE logs (id int PRIMARY KEY, msg text)',
      "INSERT INTO tags VALUES (1, 'red'), (2, 'blue')",
      "INSERT INTO logs SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g",
    ]) await query('primary', 'app', statement)
    await caughtUp()
    const before = await query('primary', 'app', CONTENT)

    const dir = tempDir('wal')
    writeFile(dir, 'migrate.sql', 'UPDATE tags SET t = upper(t);\n')
    const standbyUrl = endpointUrl(withDatabase(pair.standby, 'app'))
    const config = configIn(dir, {
      source: endpointUrl(withDatabase(pair.primary, 'app')), staging: pgUrl(`${prefix}_stg`), migrate: [{ sql: 'migrate.sql' }],
      replicas: [{ url: standbyUrl }],
    })
    const result = await runUpgrade(config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    const replication = readManifest(result.runDir).replication!
    expect(replication).toMatchObject({
      log: 'wal', load: 'replicated',
      replicas: [{ replica: `postgres://postgres@127.0.0.1:${pair.standby.port}/app`, load: 'replicated', reason: 'a physical standby replays the WAL of every changed table' }],
    })
    // The schema swap keeps logs live: its 5000 rows of 200 bytes (over 1 MB) are not copied and
    // write no WAL; only tags and the catalog changes do.
    expect(readManifest(result.runDir).keep!.tables).toEqual(['public.logs'])
    expect(replication.bytes.loadback!).toBeGreaterThan(0)
    expect(replication.bytes.loadback!).toBeLessThan(1_000_000)
    expect(replication.bytes.swap).toBeGreaterThanOrEqual(0)
    expect(replication.bytes.total).toBe(replication.bytes.loadback! + replication.bytes.swap!)
    expect(readReport(result.runDir).replication).toMatchObject({ log: 'wal' })

    await caughtUp()
    const after = await query('primary', 'app', CONTENT)
    expect(after).toEqual([{ tags: '1:RED,2:BLUE', logs: 5000 }])
    expect(await query('standby', 'app', CONTENT)).toEqual(after)

    const store = ManifestStore.load(runPaths(result.runDir).manifest)
    await rollbackRun(postgresDriver, withDatabase(pair.primary, 'app'), store)
    await caughtUp()
    expect(await query('primary', 'app', CONTENT)).toEqual(before)
    expect(await query('standby', 'app', CONTENT)).toEqual(before)
  }, 240_000)
})
