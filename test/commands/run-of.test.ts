/**
 * --rollback and --cleanup act on the run's own database, whatever config sits in the folder
 * they are typed in: upgrade database A from folder X, then act on A's run from folder Y whose
 * config names database B, from a folder with no config, and by bare run id.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliResult, readManifest, removeTempDirs, runCli, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engines.ts'

function writeConfig(dir: string, source: string, staging: string): void {
  writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ source, staging, runDir: 'runs', migrate: [{ sql: 'upgrade.sql' }] })}\n`)
}

function expectExit(result: CliResult, code: number): void {
  expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(code)
}

describe.each(ENGINES)('commands on a run take its database from the run, on $name', (engine) => {
  const prefix = engine.uniquePrefix('runof')
  const a = `${prefix}_a`
  const b = `${prefix}_b`
  let folderX = ''
  let folderY = ''
  let folderZ = ''
  let originalA: Awaited<ReturnType<typeof engine.state>>
  let originalB: Awaited<ReturnType<typeof engine.state>>
  let upgradedA: Awaited<ReturnType<typeof engine.state>>
  let runA = ''

  async function upgradeA(): Promise<string> {
    const before = readdirSync(join(folderX, 'runs'), { withFileTypes: true }).map((e) => e.name)
    expectExit(await runCli(['--yes'], folderX), 0)
    const made = readdirSync(join(folderX, 'runs')).filter((name) => !before.includes(name))
    expect(made).toHaveLength(1)
    return join(folderX, 'runs', made[0]!)
  }

  async function expectUntouched(): Promise<void> {
    expect(await engine.state(b)).toEqual(originalB)
    expect(await engine.withPrefix(`${b}_dd_`)).toEqual([])
  }

  beforeAll(async () => {
    await engine.createApp(a)
    await engine.createApp(b)
    await engine.query(b, "INSERT INTO accounts (email, balance) VALUES ('only-in-b@example.com', 7)")
    originalA = await engine.state(a)
    originalB = await engine.state(b)
    folderX = tempDir('runof-x')
    folderY = tempDir('runof-y')
    folderZ = tempDir('runof-z')
    mkdirSync(join(folderX, 'runs'))
    writeFile(folderX, 'upgrade.sql', engine.upgradeSql)
    writeConfig(folderX, engine.url(a), engine.url(`${prefix}_a_stg`))
    writeFile(folderY, 'upgrade.sql', engine.upgradeSql)
    writeConfig(folderY, engine.url(b), engine.url(`${prefix}_b_stg`))
    runA = await upgradeA()
    upgradedA = await engine.state(a)
    expect(upgradedA).not.toEqual(originalA)
  })

  afterAll(async () => {
    await engine.dropWithPrefix(prefix)
    removeTempDirs()
  })

  it('refuses a passed config that names another database, naming both, and renames nothing', async () => {
    for (const mode of ['--rollback', '--cleanup', '--resume']) {
      const result = await runCli([mode, runA, '--config', 'upgrade.config.mjs'], folderY)
      expectExit(result, 1)
      expect(result.stderr).toContain('DD_RUN_CONFIG_MISMATCH')
      expect(result.stderr).toContain(`/${a}`)
      expect(result.stderr).toContain(`/${b}`)
    }
    expect(await engine.state(a)).toEqual(upgradedA)
    await expectUntouched()
    expect(readManifest(runA).swap?.status).toBe('swapped')
  })

  it('rolls back the run\'s database from a folder whose config names another one', async () => {
    const result = await runCli(['--rollback', runA], folderY)
    expectExit(result, 0)
    expect(result.stdout).toContain(`"${a}"`)
    expect(await engine.state(a)).toEqual(originalA)
    await expectUntouched()
    const manifest = readManifest(runA)
    expect(manifest.swap?.status).toBe('rolled-back')
    expect(await engine.withPrefix(`${a}_dd_`)).toEqual([manifest.swap!.backup])
    expect(await engine.state(manifest.swap!.backup)).toEqual(upgradedA)
  })

  it('finds a bare run id in the run directory of the folder\'s config, and cleans up that run', async () => {
    const runId = readManifest(runA).runId
    const result = await runCli(['--cleanup', runId], folderX)
    expectExit(result, 0)
    expect(await engine.withPrefix(`${a}_dd_`)).toEqual([])
    expect(await engine.state(a)).toEqual(originalA)
    await expectUntouched()
  })

  it('acts from a folder with no config, after the run\'s own config is gone, from the manifest alone', async () => {
    const run = await upgradeA()
    rmSync(join(folderX, 'upgrade.config.mjs'))
    try {
      const rollback = await runCli(['--rollback', run], folderZ)
      expectExit(rollback, 0)
      expect(rollback.stdout).toContain('taken from the run\'s manifest')
      expect(await engine.state(a)).toEqual(originalA)
      const cleanup = await runCli(['--cleanup', run], folderZ)
      expectExit(cleanup, 0)
      expect(await engine.withPrefix(`${a}_dd_`)).toEqual([])
      await expectUntouched()
      const unknown = await runCli(['--rollback', readManifest(run).runId], folderZ)
      expectExit(unknown, 1)
      expect(unknown.stderr).toContain('DD_RUN_NOT_FOUND')
    } finally {
      writeConfig(folderX, engine.url(a), engine.url(`${prefix}_a_stg`))
    }
  })
})
