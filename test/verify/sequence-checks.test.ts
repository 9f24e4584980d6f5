/**
 * Sequences and AUTO_INCREMENT counters are verified like rows: `--verify` compares them, each
 * hop compares them (a counter changed on staging after the load, or on the production copy
 * after the load back, stops the run), the report lists them per hop, and a sequence a
 * migration leaves behind its column's largest value is carried as it is and warned about.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareDatabases } from '../../pipeline/compare/compare-databases.ts'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import type { DrydockError } from '../../pipeline/errors.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import type { UpgradeResult } from '../../pipeline/runner/execute-run.ts'
import { configIn, expectDrydockError, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES, type TestEngine } from '../helpers/engines.ts'

/** Moves the accounts counter: setval on PostgreSQL, ALTER TABLE … AUTO_INCREMENT on MariaDB. */
const bump = (engine: TestEngine, to: number) =>
  engine.engine === 'postgres' ? `SELECT setval('accounts_id_seq', ${to})` : `ALTER TABLE accounts AUTO_INCREMENT = ${to}`

const accountsCounter = (engine: TestEngine) => (engine.engine === 'postgres' ? 'public.accounts_id_seq' : 'accounts')

describe.each(ENGINES)('sequences are verified on $name', (engine) => {
  const prefix = engine.uniquePrefix('seqchk')
  const ep = (database: string) => parseEndpoint(engine.url(database), 'test')

  beforeAll(async () => {
    for (const db of ['left', 'same', 'right', 'src']) await engine.createApp(`${prefix}_${db}`)
    await engine.query(`${prefix}_right`, bump(engine, 900))
    if (engine.engine === 'postgres') await engine.query(`${prefix}_right`, 'ALTER SEQUENCE orders_id_seq INCREMENT BY 5')
  })

  afterAll(async () => {
    await engine.dropWithPrefix(prefix)
    removeTempDirs()
  })

  it('--verify: two databases with the same rows and counters (under other names) are equal', async () => {
    const result = await compareDatabases(ep(`${prefix}_left`), ep(`${prefix}_same`), { jobs: 1 })
    expect(result.tables.map((t) => t.status)).toEqual(['equal', 'equal'])
    expect(result.sequences).toMatchObject({ compared: 2, mismatches: [] })
    expect(result.verdict).toBe('equal')
  })

  it('--verify: a changed counter makes the databases differ, though every row is equal', async () => {
    const result = await compareDatabases(ep(`${prefix}_left`), ep(`${prefix}_right`), { jobs: 1 })
    expect(result.tables.every((t) => t.status === 'equal')).toBe(true)
    expect(result.verdict).toBe('different')
    const details = result.sequences.mismatches.map((m) => [m.table, m.detail])
    if (engine.engine === 'postgres') {
      expect(details).toEqual([
        ['public.accounts_id_seq', 'sequence at 50 on left, 900 on right'],
        ['public.orders_id_seq', 'sequence defined as bigint start 1 increment 1 min 1 max 9223372036854775807 cache 1 on left, bigint start 1 increment 5 min 1 max 9223372036854775807 cache 1 on right'],
      ])
    } else {
      // InnoDB hands out AUTO_INCREMENT values to INSERT … SELECT in batches: the counter is past 51.
      expect(details).toEqual([['accounts', expect.stringMatching(/^sequence at \d+ \(not called\) on left, 900 \(not called\) on right$/)]])
    }
  })

  describe.each([
    { hop: 1, after: 'load', where: (ctx: RunContext) => ctx.staging! },
    { hop: 2, after: 'loadback', where: (ctx: RunContext) => ctx.loadTarget! },
  ] as const)('hop $hop', ({ hop, after, where }) => {
    let error: DrydockError

    beforeAll(async () => {
      const dir = tempDir(`seqchk${hop}`)
      // A migration that changes accounts, so that MariaDB copies it back instead of keeping it live.
      writeFile(dir, 'touch.sql', 'UPDATE accounts SET balance = balance + 1 WHERE id = 1;\n')
      const config = configIn(dir, { source: engine.url(`${prefix}_src`), staging: engine.url(`${prefix}_stg${hop}`), migrate: [{ sql: 'touch.sql' }] })
      const observer = async (stage: string, ctx: RunContext) => {
        if (stage === after) await engine.query(where(ctx).database, bump(engine, 7000))
      }
      error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: observer }), 'DD_VERIFY_MISMATCH')
    })

    it(`stops the run when a counter changed after the ${after}, naming it`, () => {
      const [, line] = error.message.split('\n')
      expect(line).toMatch(new RegExp(`^ {2}${accountsCounter(engine).replace('.', '\\.')}: sequence at \\d+( \\(not called\\))? on \\S+.*, 7000`))
      expect(error.ctx.stage).toBe(`verify-hop${hop}`)
    })
  })

  describe('a migration that inserts explicit ids', () => {
    let result: UpgradeResult

    beforeAll(async () => {
      const dir = tempDir('seqchk-behind')
      writeFile(dir, 'explicit.sql', "INSERT INTO accounts (id, email) VALUES (100, 'explicit@example.com');\n")
      const config = configIn(dir, { source: engine.url(`${prefix}_left`), staging: engine.url(`${prefix}_stgb`), migrate: [{ sql: 'explicit.sql' }] })
      result = await runUpgrade(config, RUN_OPTIONS)
    })

    it('verifies every counter on both hops and says so in the report', () => {
      expect(result.report.verdict).toBe('verified')
      expect(result.report.hop1.sequences).toMatchObject({ compared: 2, mismatches: [] })
      // (A table MariaDB keeps live keeps its counter on the live table: it is not compared.)
      expect(result.report.hop2.sequences?.mismatches).toEqual([])
      expect(result.report.hop2.sequences?.compared).toBeGreaterThan(0)
    })

    if (engine.engine === 'postgres') {
      it('carries the sequence exactly as the migration left it, and warns with the fix', async () => {
        expect(result.report.sequencesBehind).toEqual([{
          sequence: 'public.accounts_id_seq', column: 'public.accounts.id', next: '51', max: '100',
          fix: "SELECT setval('public.accounts_id_seq', (SELECT max(id) FROM public.accounts));",
        }])
        expect(await engine.query(`${prefix}_left`, 'SELECT last_value, is_called FROM accounts_id_seq')).toEqual([{ last_value: '50', is_called: 't' }])
      })
    } else {
      it('has nothing to warn about: InnoDB raises the counter past max(id) itself', async () => {
        expect(result.report.sequencesBehind).toEqual([])
        const [row] = await engine.query('information_schema', `SELECT CAST(AUTO_INCREMENT AS CHAR) AS next FROM TABLES WHERE TABLE_SCHEMA = '${prefix}_left' AND TABLE_NAME = 'accounts'`)
        expect(row).toEqual({ next: '101' })
      })
    }
  })
})
