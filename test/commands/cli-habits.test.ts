/**
 * The command-line habits operators bring from pg_dump and mydumper: --version, an example
 * config that parses and names every option, and an end summary that says what to do next
 * (the backup's name, the exact rollback and cleanup commands, where report.html is).
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CONFIG_KEYS, loadConfig } from '../../pipeline/config.ts'
import { type CliResult, REPO, removeTempDirs, runCli, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engines.ts'

function expectExit(result: CliResult, code: number): void {
  expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(code)
}

const made: { engine: (typeof ENGINES)[number]; prefix: string }[] = []
afterAll(async () => {
  for (const { engine, prefix } of made) await engine.dropWithPrefix(prefix)
  removeTempDirs()
})

describe('--version', () => {
  it('prints the package version and the checkout\'s commit', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }
    const commit = execFileSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag])
      expectExit(result, 0)
      expect(result.stdout).toMatch(new RegExp(`^drydock ${version.replace(/\./g, '\\.')} \\(commit ${commit.slice(0, 12)}`))
    }
  })
})

describe('upgrade.config.example.mjs', () => {
  const example = join(REPO, 'upgrade.config.example.mjs')

  it('is a valid config, as the README tells operators to copy it', async () => {
    const config = await loadConfig(example)
    expect(config.source.engine).toBe('postgres')
    expect(config.steps.map((s) => s.kind)).toEqual(['sql', 'command'])
    expect(readFileSync(join(REPO, 'README.md'), 'utf8')).toContain('cp upgrade.config.example.mjs upgrade.config.mjs')
  })

  it('shows every option the config takes', () => {
    const text = readFileSync(example, 'utf8')
    const missing = CONFIG_KEYS.filter((key) => !new RegExp(`^\\s*(//\\s*)?${key}:`, 'm').test(text))
    expect(missing).toEqual([])
  })
})

describe.each(ENGINES)('the end summary on $name', (engine) => {
  it('names the old database, the exact rollback and cleanup commands and report.html', async () => {
    const database = engine.uniquePrefix('summary')
    made.push({ engine, prefix: database })
    await engine.createApp(database)
    const dir = tempDir('summary')
    writeFile(dir, 'upgrade.sql', engine.upgradeSql)
    writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({
      source: engine.url(database), staging: engine.url(`${database}_stg`), runDir: 'runs', migrate: [{ sql: 'upgrade.sql' }],
    })}\n`)
    const result = await runCli(['--yes'], dir)
    expectExit(result, 0)
    const runDir = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]!)
    const backup = (await engine.withPrefix(database)).find((name) => name.includes('_dd_backup_'))
    expect(backup, 'the old database is kept').toBeDefined()
    expect(result.stdout).toContain(`old database kept as "${backup}"`)
    expect(result.stdout).toContain(`npx zx scripts/offline-upgrade.mjs --rollback ${runDir}`)
    expect(result.stdout).toContain(`npx zx scripts/offline-upgrade.mjs --cleanup ${runDir}`)
    expect(result.stdout).toContain(`report: ${join(runDir, 'report.html')}`)
    expect(result.stdout).toMatch(/total [\d.]+ s from pre-flight to report \(stages [\d.]+ s\)/)
  })
})
