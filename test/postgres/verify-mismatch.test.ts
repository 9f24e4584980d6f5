/**
 * Verification catches a changed row: one staging row is altered right after the load (hop 1),
 * or one shadow row right after the load back (hop 2). The run stops with DD_VERIFY_MISMATCH
 * naming the table, the reports mark it, and the live database is not swapped.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import type { Endpoint } from '../../pipeline/config/endpoint.ts'
import type { DrydockError, StageName } from '../../pipeline/errors.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, onlyRun, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createAppDatabase } from '../helpers/fixture.ts'
import { databaseExists, databasesWithPrefix, databaseState, dropDatabasesWithPrefix, pgUrl, uniquePrefix, withClient } from '../helpers/postgres.ts'

const prefix = uniquePrefix('verify')
const source = `${prefix}_src`
let before: Awaited<ReturnType<typeof databaseState>>

/** An afterStage observer that runs one UPDATE on the database drydock just loaded. */
function tamperAfter(stage: StageName, where: (ctx: RunContext) => Endpoint, update: string) {
  let tampered = 0
  return {
    observer: async (finished: StageName, ctx: RunContext) => {
      if (finished !== stage) return
      const ep = where(ctx)
      tampered = await withClient(ep.database, async (c) => (await c.query(update)).rowCount ?? 0, {
        host: ep.host, port: ep.port, user: ep.user, ...(ep.password ? { password: ep.password } : {}),
      })
    },
    tampered: () => tampered,
  }
}

describe('verification catches a tampered row', () => {
  beforeAll(async () => {
    await createAppDatabase(source)
    before = await databaseState(source)
  })

  afterAll(async () => {
    await dropDatabasesWithPrefix(prefix)
    removeTempDirs()
  })

  describe('hop 1: a staging row changed after the load', () => {
    let error: DrydockError
    let runDir = ''
    let tampered = 0

    beforeAll(async () => {
      const dir = tempDir('verify1')
      const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${prefix}_stg1`) })
      const tamper = tamperAfter('load', (ctx) => ctx.staging!, 'UPDATE accounts SET balance = balance + 0.01 WHERE id = 7')
      error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: tamper.observer }), 'DD_VERIFY_MISMATCH')
      tampered = tamper.tampered()
      runDir = onlyRun(config)
    })

    it('stops with DD_VERIFY_MISMATCH naming the table, and only that table', () => {
      expect(tampered).toBe(1)
      const lines = error.message.split('\n')
      expect(lines[0]).toBe('hop 1 (production snapshot → staging): 1 table(s) differ:')
      expect(lines[1]).toMatch(/^ {2}public\.accounts: same row count \(50\) but different content \(checksum -?\d+ on production, -?\d+ on staging\)$/)
      expect(lines).toHaveLength(2)
      expect(error.ctx.table).toBe('public.accounts')
      expect(error.ctx.hint).toContain('production has not been touched')
    })

    it('marks the table as a mismatch in report.json and report.md', () => {
      const report = readReport(runDir)
      expect(report.verdict).toBe('failed')
      expect(report.failure).toMatchObject({ code: 'DD_VERIFY_MISMATCH', table: 'public.accounts' })
      expect(report.hop1.tables.map((t) => [t.table, t.check]).sort()).toEqual([['public.accounts', 'mismatch'], ['public.orders', 'ok']])
      expect(report.hop1.verified).toBe(1)
      const accounts = report.hop1.tables.find((t) => t.table === 'public.accounts')!
      expect(accounts.production?.rows).toBe(50)
      expect(accounts.staging?.rows).toBe(50)
      expect(accounts.production?.digest).not.toBe(accounts.staging?.digest)
      expect(report.swap).toBeNull()
      const md = readFileSync(join(runDir, 'report.md'), 'utf8')
      expect(md).toMatch(/^\| public\.accounts \| 50 \| .* \| ✗ \|$/m)
      expect(md).toMatch(/^\| public\.orders \| 500 \| .* \| ✓ \|$/m)
      expect(md).toMatch(/^- Failure: DD_VERIFY_MISMATCH in \S+ \(public\.accounts\): hop 1 /m)
      expect(md).toContain('## Hop 1: production snapshot → staging (1/2 verified)')
    })

    it('names the failing stage verify-hop1, as docs/verification.md shows (✗ verify-hop1: hop 1 …)', () => {
      expect(error.ctx.stage).toBe('verify-hop1')
      expect(error.describe()).toMatch(/^verify-hop1: /)
      expect(readReport(runDir).failure?.stage).toBe('verify-hop1')
    })

    it('leaves production untouched: no shadow, no swap, same schema and rows', async () => {
      expect(await databaseExists(source)).toBe(true)
      expect(await databasesWithPrefix(`${source}_dd_`)).toEqual([])
      expect(await databaseState(source)).toEqual(before)
    })
  })

  describe('hop 2: a shadow row changed after the load back', () => {
    let error: DrydockError
    let runDir = ''
    let tampered = 0

    beforeAll(async () => {
      const dir = tempDir('verify2')
      writeFile(dir, 'add-column.sql', 'ALTER TABLE orders ADD COLUMN shipped boolean NOT NULL DEFAULT false;\n')
      const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${prefix}_stg2`), migrate: [{ sql: 'add-column.sql' }] })
      const tamper = tamperAfter('loadback', (ctx) => ctx.loadTarget!, 'UPDATE orders SET shipped = true WHERE id = 123')
      error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: tamper.observer }), 'DD_VERIFY_MISMATCH')
      tampered = tamper.tampered()
      runDir = onlyRun(config)
    })

    it('stops with DD_VERIFY_MISMATCH naming the table', () => {
      expect(tampered).toBe(1)
      expect(error.message).toMatch(/^hop 2 \(migrated staging → production copy\): 1 table\(s\) differ:\n {2}public\.orders: same row count \(500\) but different content \(checksum -?\d+ on staging, -?\d+ on the production copy\)$/)
      expect(error.ctx.table).toBe('public.orders')
      expect(error.ctx.hint).toContain('the live database has not been swapped')
      const report = readReport(runDir)
      expect(report.hop2.tables.map((t) => [t.table, t.check]).sort()).toEqual([['public.accounts', 'ok'], ['public.orders', 'mismatch']])
      expect(report.failure).toMatchObject({ code: 'DD_VERIFY_MISMATCH', table: 'public.orders' })
      expect(report.swap).toBeNull()
    })

    it('names the failing stage verify-hop2', () => {
      expect(error.ctx.stage).toBe('verify-hop2')
      expect(readReport(runDir).failure?.stage).toBe('verify-hop2')
    })

    it('leaves the live database as it was: not swapped, without the migrated column', async () => {
      expect(await databaseState(source)).toEqual(before)
      expect(await databasesWithPrefix(`${source}_dd_backup_`)).toEqual([])
    })
  })
})
