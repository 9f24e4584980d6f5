/**
 * Progress tells the truth about rows on both engines: a table whose values hold line ends
 * (CSV on MySQL keeps them inside quotes) is counted by rows, not by lines, in the dump, the
 * load, both hops and the load back; verification counts each table once per side.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { StageName } from '../../pipeline/errors.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, onlyRun, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engines.ts'

const NOTES_ROWS = 300
const ALL_ROWS = 50 + 500 + NOTES_ROWS

const made: { engine: (typeof ENGINES)[number]; prefix: string }[] = []

afterAll(async () => {
  for (const { engine, prefix } of made) await engine.dropWithPrefix(prefix)
  removeTempDirs()
})

describe.each(ENGINES)('progress row counts on $name', (engine) => {
  it('counts rows, not line ends inside values, and each verified table once per side', async () => {
    const database = engine.uniquePrefix('rowcount')
    made.push({ engine, prefix: database })
    await engine.createApp(database)
    const notes = engine.engine === 'postgres'
      ? `CREATE TABLE notes (id int PRIMARY KEY, body text);
         INSERT INTO notes SELECT i, repeat(E'line\\n', 12) || i FROM generate_series(1, ${NOTES_ROWS}) i;`
      : `CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);
         INSERT INTO notes SELECT seq, CONCAT(REPEAT('line\\n', 12), seq) FROM seq_1_to_${NOTES_ROWS};`
    await engine.query(database, notes)
    const dir = tempDir('rowcount')
    const seen: Partial<Record<StageName, { rows: number; line: string }>> = {}
    const config = configIn(dir, {
      source: engine.url(database), staging: engine.url(`${database}_stg`), target: engine.url(`${database}_new`),
      // Touches notes only, so hop 2 and the load back move every table again.
      migrate: [{ name: 'touch', sql: writeFile(dir, 'touch.sql', 'UPDATE notes SET body = body WHERE id < 0;') }],
    })
    await runUpgrade(config, {
      ...RUN_OPTIONS,
      afterStage: (stage, ctx) => {
        if (ctx.progress) seen[stage] = { rows: ctx.progress.shownRows(), line: ctx.progress.render() }
      },
    })
    const manifest = readManifest(onlyRun(config))
    const dumped = Object.values(manifest.tables).reduce((sum, t) => sum + (t.dump?.rows ?? 0), 0)
    expect(dumped).toBe(ALL_ROWS)
    for (const stage of ['dump', 'verify-hop1', 'loadback', 'verify-hop2'] as const) {
      expect(seen[stage]?.rows, `${stage}: ${seen[stage]?.line}`).toBe(ALL_ROWS)
    }
    expect(seen['verify-hop1']?.line).toContain('production 3/3 tables · staging 3/3 tables')
    expect(seen['verify-hop1']?.line).not.toMatch(/ B\/s/)
  })
})
