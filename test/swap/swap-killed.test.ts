import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readManifest, removeTempDirs, runCli, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES, type TestEngine } from '../helpers/engine-servers.ts'
import { runCliKilledAt } from '../helpers/kill-at.ts'
import { readdirSync } from 'node:fs'

/** A config file for `source` with one migration step that changes its table; `staging` omitted: ephemeral. */
function setUp(engine: TestEngine, source: string, staging?: string): { dir: string; configFile: string; runDir: () => string } {
  const dir = tempDir('swapkill')
  writeFile(dir, 'up.sql', `ALTER TABLE ${engine.name === 'postgres' ? 'public.item' : 'item'} ADD COLUMN flag int NOT NULL DEFAULT 1`)
  const config = { source: engine.url(source), ...(staging ? { staging: engine.url(staging) } : {}), runDir: 'runs', migrate: [{ sql: 'up.sql' }] }
  const configFile = writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify(config)}`)
  return { dir, configFile, runDir: () => join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]!) }
}

for (const engine of ENGINES) {
  describe(`${engine.name}: drydock killed at the swap or in hop 2`, () => {
    const prefix = engine.uniquePrefix('swkill')
    afterAll(async () => {
      await engine.dropDatabasesWithPrefix(prefix)
      removeTempDirs()
    })

    it('right after the rename, before the manifest: --resume finds it swapped, finishes VERIFIED and removes the ephemeral staging', async () => {
      const source = `${prefix}_res`
      await engine.createDatabase(source)
      await engine.sql(source, engine.seedSql(200))
      const before = await engine.tableDigests(source)
      const run = setUp(engine, source)
      await runCliKilledAt('swap-rename', ['--config', run.configFile, '--yes'])
      const runDir = run.runDir()
      expect(readManifest(runDir).swap?.status).toBe('swapping')
      expect(existsSync(join(runDir, 'staging'))).toBe(true)
      const resumed = await runCli(['--resume', runDir, '--yes'])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stdout).toMatch(/verdict: VERIFIED/)
      const manifest = readManifest(runDir)
      expect(manifest.swap?.status).toBe('swapped')
      expect(manifest.verdict).toBe('verified')
      expect(existsSync(join(runDir, 'staging'))).toBe(false)
      expect(await engine.tableDigests(source)).not.toEqual(before)
      expect(await engine.databaseExists(manifest.swap!.backup)).toBe(true)
      const rollback = await runCli(['--config', run.configFile, '--rollback', runDir])
      expect(rollback.code, rollback.stderr).toBe(0)
      expect(await engine.tableDigests(source)).toEqual(before)
    })

    it('right after the rename: --rollback settles the swap from the server and rolls it back', async () => {
      const source = `${prefix}_rb`
      await engine.createDatabase(source)
      await engine.sql(source, engine.seedSql(200))
      const before = await engine.tableDigests(source)
      const run = setUp(engine, source, `${source}_stg`)
      await runCliKilledAt('swap-rename', ['--config', run.configFile, '--yes'])
      const rollback = await runCli(['--config', run.configFile, '--rollback', run.runDir()])
      expect(rollback.code, rollback.stderr).toBe(0)
      expect(readManifest(run.runDir()).swap?.status).toBe('rolled-back')
      expect(await engine.tableDigests(source)).toEqual(before)
    })

    it('during hop 2: --resume verifies the copy again and swaps', async () => {
      const source = `${prefix}_hop2`
      await engine.createDatabase(source)
      await engine.sql(source, engine.seedSql(200))
      const run = setUp(engine, source, `${source}_stg`)
      await runCliKilledAt('stage-verify-hop2', ['--config', run.configFile, '--yes'])
      expect(readManifest(run.runDir()).stages['verify-hop2']?.status).toBe('running')
      const resumed = await runCli(['--resume', run.runDir(), '--yes'])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stdout).toMatch(/verdict: VERIFIED/)
      expect(readManifest(run.runDir()).swap?.status).toBe('swapped')
    })
  })
}
