/**
 * "Carried over unchanged" is said only of tables the migration left wholly alone: a table
 * whose rows stayed but which gained an index is a changed table in the report and the
 * confirmation, on both engines.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engines.ts'

const made: { engine: (typeof ENGINES)[number]; prefix: string }[] = []
afterAll(async () => {
  for (const { engine, prefix } of made) await engine.dropWithPrefix(prefix)
  removeTempDirs()
})

describe.each(ENGINES)('tables carried over on $name', (engine) => {
  it('a table that only gained an index is not reported as carried over unchanged', async () => {
    const database = engine.uniquePrefix('carried')
    made.push({ engine, prefix: database })
    await engine.createApp(database)
    const dir = tempDir('carried')
    const config = configIn(dir, {
      source: engine.url(database), staging: engine.url(`${database}_stg`), target: engine.url(`${database}_new`),
      migrate: [{ sql: writeFile(dir, 'index.sql', 'CREATE INDEX accounts_balance_idx ON accounts (balance);') }],
    })
    const { runDir } = await runUpgrade(config, RUN_OPTIONS)
    const status = Object.fromEntries((readManifest(runDir).carryOver ?? []).map((c) => [c.table.split('.').at(-1), c.status]))
    expect(status).toEqual({ accounts: 'definition-changed', orders: 'unchanged' })
    const md = readFileSync(join(runDir, 'report.md'), 'utf8')
    expect(md).toMatch(/Tables after the migration \(1 carried over unchanged, 0 with unchanged definition but changed data, 1 changed/)
  })
})
