import { afterAll, describe, expect, it } from 'vitest'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, onlyRun, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engine-servers.ts'

/** The shadow's name as a hook's shell sees it (shadowName: `<db>_dd_shadow_<run id without its first dash>`). */
const shadowOf = (source: string) => `${source}_dd_shadow_\${DRYDOCK_RUN_ID%%-*}\${DRYDOCK_RUN_ID#*-}`

for (const engine of ENGINES) {
  describe(`${engine.name}: a beforeSwap hook that changes the verified shadow`, () => {
    const prefix = engine.uniquePrefix('shchg')
    afterAll(async () => {
      await engine.dropDatabasesWithPrefix(prefix)
      removeTempDirs()
    })

    it('refuses the swap with DD_SHADOW_CHANGED naming the table; production stays as it was', async () => {
      const source = `${prefix}_src`
      await engine.createDatabase(source)
      await engine.sql(source, engine.seedSql(300))
      const before = await engine.tableDigests(source)
      const table = engine.name === 'postgres' ? 'public.item' : 'item'
      const dir = tempDir('shchg')
      // A changed table is copied (MySQL leaves unchanged ones live, outside the shadow).
      writeFile(dir, 'up.sql', `ALTER TABLE ${table} ADD COLUMN flag int NOT NULL DEFAULT 0`)
      const config = configIn(dir, {
        source: engine.url(source), staging: engine.url(`${source}_stg`), migrate: [{ sql: 'up.sql' }],
        hooks: { beforeSwap: engine.shellSql(shadowOf(source), `DELETE FROM ${table} WHERE id = 7`) },
      })
      const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_SHADOW_CHANGED')
      expect(error.message).toMatch(/^the production copy .* was written after hop 2 verified it/)
      expect(error.ctx.table).toContain('item')
      expect(error.ctx.hint).toContain('run the upgrade again from the start')
      expect(error.ctx.hint).not.toContain('--resume')
      expect(await engine.tableDigests(source)).toEqual(before)
      const manifest = readManifest(onlyRun(config))
      expect(manifest.swap).toBeUndefined()
      expect(manifest.verdict).toBe('failed')
    })

    it('a hook that writes production: DD_WRITE_FENCE with one instruction (start again), no --resume', async () => {
      const source = `${prefix}_prod`
      await engine.createDatabase(source)
      await engine.sql(source, engine.seedSql(50))
      const table = engine.name === 'postgres' ? 'public.item' : 'item'
      const config = configIn(tempDir('shchg'), {
        source: engine.url(source), staging: engine.url(`${source}_stg`),
        hooks: { beforeSwap: engine.shellSql(source, `UPDATE ${table} SET label = 'late' WHERE id = 3`) },
      })
      const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_WRITE_FENCE')
      expect(error.ctx.hint).toContain('run the upgrade again from the start')
      expect(error.ctx.hint).not.toContain('--resume')
    })

    it('a hook that writes a table left out by tables.exclude: not a fence breach (it travels empty by the operator\'s choice), the swap goes ahead', async () => {
      const source = `${prefix}_left`
      await engine.createDatabase(source)
      await engine.sql(source, engine.seedSql(50))
      await engine.sql(source, 'CREATE TABLE scratch (id int PRIMARY KEY)')
      await engine.sql(source, 'INSERT INTO scratch VALUES (1), (2)')
      const dir = tempDir('shchg')
      // The migration changes the table, so it is copied (an unchanged one would stay live, rows and all).
      writeFile(dir, 'up.sql', 'ALTER TABLE scratch ADD COLUMN note int')
      const config = configIn(dir, {
        source: engine.url(source), staging: engine.url(`${source}_stg`), tables: { exclude: ['scratch'] }, migrate: [{ sql: 'up.sql' }],
        hooks: { beforeSwap: engine.shellSql(source, 'INSERT INTO scratch VALUES (3)') },
      })
      const result = await runUpgrade(config, RUN_OPTIONS)
      expect(result.report.verdict).toBe('verified')
      const rows = await engine.sql(source, 'SELECT count(*) AS n FROM scratch') as { n: unknown }[]
      expect(Number(rows[0]?.n)).toBe(0)
    })
  })
}
