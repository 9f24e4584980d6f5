/**
 * The command-line habits operators bring from pg_dump and mydumper: --version, an example
 * config that parses and names every option, and an end summary that says what to do next
 * (the backup's name, the exact rollback and cleanup commands, where report.html is).
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIG_KEYS, loadConfig } from '../../pipeline/config/config.ts'
import { type CliResult, readManifest, REPO, removeTempDirs, runCli, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engines.ts'
import { dumpDom } from '../report/chromium.ts'

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

describe.each(ENGINES)('a run from the command line on $name', (engine) => {
  const database = engine.uniquePrefix('cli')
  const dir = tempDir('cli')
  let first: CliResult
  let runDir = ''

  beforeAll(async () => {
    made.push({ engine, prefix: database })
    await engine.createApp(database)
    writeFile(dir, 'upgrade.sql', engine.upgradeSql)
    writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({
      source: engine.url(database), staging: engine.url(`${database}_stg`), runDir: 'runs', migrate: [{ sql: 'upgrade.sql' }],
    })}\n`)
    first = await runCli(['--yes', '--verbose'], dir)
    expectExit(first, 0)
    runDir = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]!)
  })

  it('ends with the old database, the exact rollback and cleanup commands and report.html', async () => {
    const backup = (await engine.withPrefix(database)).find((name) => name.includes('_dd_backup_'))
    expect(backup, 'the old database is kept').toBeDefined()
    expect(first.stdout).toContain(`old database kept as "${backup}"`)
    expect(first.stdout).toContain(`npx zx scripts/offline-upgrade.mjs --rollback ${runDir}`)
    expect(first.stdout).toContain(`npx zx scripts/offline-upgrade.mjs --cleanup ${runDir}`)
    expect(first.stdout).toContain(`report: ${join(runDir, 'report.html')}`)
    expect(first.stdout).toMatch(/total [\d.]+ s from pre-flight to report \(stages [\d.]+ s\)/)
  })

  it('--verbose prints the run\'s events as lines', () => {
    expect(first.stderr).toMatch(/\[dump\] \S*accounts: 50 rows, [\d.]+ MB in [\d.]+ s/)
    expect(first.stderr).toMatch(/\[swap\] done in [\d.]+ s/)
  })

  it('--list and --status (by bare run id) tell where the run stands and what to do next', async () => {
    const id = basename(runDir)
    const list = await runCli(['--list'], dir)
    expectExit(list, 0)
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+upgrade\\s+swapped\\s`, 'm'))
    const status = await runCli(['--status', id], dir)
    expectExit(status, 0)
    expect(status.stdout).toContain('state: swapped')
    expect(status.stdout).toMatch(/^ {2}verify-hop2 +done /m)
    expect(status.stdout).toContain(`--rollback ${runDir}`)
  })

  it('report.html, as headless Chromium shows it, carries the sign-off block', async () => {
    const dom = await dumpDom(join(runDir, 'report.html'))
    const sha = createHash('sha256').update(readFileSync(join(dir, 'upgrade.config.mjs'))).digest('hex')
    const commit = execFileSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
    expect(dom).toContain(`<dt>run by</dt><dd>${userInfo().username} on ${hostname()}</dd>`)
    expect(dom).toContain(`(commit ${commit}`)
    expect(dom).toContain(`sha256 ${sha}`)
    expect(dom).toMatch(/<dt>write fence<\/dt><dd>production unchanged since the snapshot: \d+ table\(s\) by their write marks/)
    expect(dom).toMatch(/<dt>canary<\/dt><dd>\d+ columns × \d+ rows/)
    expect(dom).toContain('the upgraded data (live)')
    expect(dom).toContain(`npx zx scripts/offline-upgrade.mjs --rollback ${runDir}`)
    expect(dom).toContain('Config as drydock read it')
    // Each migration step with its files and the end of its log, file headers included.
    const sqlSha = createHash('sha256').update(readFileSync(join(dir, 'upgrade.sql'))).digest('hex')
    expect(dom).toMatch(/<td class="mono">upgrade\.sql \([\d.]+ s\)<\/td>/)
    expect(dom).toContain(`==&gt; ${join(dir, 'upgrade.sql')} (sha256 ${sqlSha})`)
    expect(dom).toMatch(/&lt;== upgrade\.sql done in [\d.]+ s/)
    // The schema change, before → after: the new table and index appear, the dropped column's table changes.
    expect(dom).toMatch(/<ins>\+ CREATE TABLE [^<]*audit/)
    expect(dom).toMatch(/<ins>\+ CREATE INDEX [^<]*accounts_nickname_idx|<ins>\+ [^<]*KEY [^<]*accounts_nickname_idx/)
    expect(dom).toMatch(/<del>- CREATE TABLE [^<]*orders/)
  })

  it('-T leaves a table\'s rows out and --quiet shows no progress, on a run after a rollback', async () => {
    expectExit(await runCli(['--rollback', basename(runDir)], dir), 0)
    // After the rollback the report says what each database holds now.
    const rolledBack = readFileSync(join(runDir, 'report.md'), 'utf8')
    expect(rolledBack).toContain('holds the data from before the upgrade (live again)')
    expect(rolledBack).toMatch(/_dd_rejected_\S*` holds the rejected upgrade/)
    expect(rolledBack).not.toContain('old data kept as')
    const quiet = await runCli(['--yes', '--quiet', '-T', 'orders'], dir)
    expectExit(quiet, 0)
    expect(quiet.stderr).not.toMatch(/dump: production tables to files/)
    const second = readdirSync(join(dir, 'runs')).map((id) => join(dir, 'runs', id)).find((d) => d !== runDir)!
    const carried = Object.values(readManifest(second).tables).map((t) => [t.name, t.carried])
    expect(Object.fromEntries(carried)).toMatchObject({ accounts: true, orders: false })
    expect(await engine.query(database, 'SELECT count(*) AS n FROM orders')).toEqual([{ n: '0' }])
  })

  it('refuses -t/-T on a resume: a run keeps its tables', async () => {
    const result = await runCli(['--resume', basename(runDir), '-T', 'orders'], dir)
    expectExit(result, 2)
    expect(result.stderr).toContain('a run keeps the tables it began with')
  })
})
