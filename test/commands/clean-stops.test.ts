/**
 * Clean stops where the operator or the setup misbehaves: Ctrl-C at the confirmation prompt,
 * no terminal to confirm, a run directory that cannot be written, a target that is the source,
 * a password that breaks its URL; and the run directory's hygiene (owner-only, what is left).
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliResult, readManifest, REPO, removeTempDirs, runCli, tempDir, writeFile } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engines.ts'

function writeConfig(dir: string, config: Record<string, unknown>): void {
  writeFile(dir, 'upgrade.config.mjs', `export default ${JSON.stringify({ runDir: 'runs', migrate: [{ sql: 'upgrade.sql' }], ...config })}\n`)
}

function expectExit(result: CliResult, code: number): void {
  expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(code)
}

/** The CLI on a pseudo-terminal (util-linux `script`); `onOutput` sees everything printed so far and may type. */
function runOnTerminal(args: readonly string[], cwd: string, onOutput: (seen: string, type: (keys: string) => void) => void): Promise<CliResult> {
  const command = [join(REPO, 'node_modules', '.bin', 'zx'), join(REPO, 'scripts', 'offline-upgrade.mjs'), ...args].map((a) => `'${a}'`).join(' ')
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let seen = ''
    const type = (keys: string) => child.stdin.write(keys)
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8')
      onOutput(seen, type)
    })
    child.stderr.on('data', (chunk: Buffer) => { seen += chunk.toString('utf8') })
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout: seen, stderr: '' }))
  })
}

const onlyRunIn = (dir: string) => {
  const runs = readdirSync(join(dir, 'runs')).filter((name) => !name.startsWith('.'))
  expect(runs).toHaveLength(1)
  return join(dir, 'runs', runs[0]!)
}

describe.each(ENGINES)('clean stops on $name', (engine) => {
  const prefix = engine.uniquePrefix('stops')
  const live = `${prefix}_live`
  let original: Awaited<ReturnType<typeof engine.state>>

  beforeAll(async () => {
    await engine.createApp(live)
    original = await engine.state(live)
  })

  afterAll(async () => {
    await engine.dropWithPrefix(prefix)
    removeTempDirs()
  })

  /** Continues a stopped run to a verified swap, then rolls it back and cleans up: production as it was. */
  async function continueThenUndo(run: string, dir: string, args: string[]): Promise<void> {
    expectExit(await runCli(args, dir), 0)
    expect(readManifest(run).verdict).toBe('verified')
    expectExit(await runCli(['--rollback', run], dir), 0)
    expectExit(await runCli(['--cleanup', run], dir), 0)
    expect(await engine.state(live)).toEqual(original)
  }

  function folder(tag: string, config: Record<string, unknown> = {}): string {
    const dir = tempDir(`stops-${tag}`)
    writeFile(dir, 'upgrade.sql', engine.upgradeSql)
    writeConfig(dir, { source: engine.url(live), staging: engine.url(`${prefix}_${tag}_stg`), ...config })
    return dir
  }

  it('Ctrl-C at the confirmation prompt stops with DD_INTERRUPTED and exit 130, and the run resumes', async () => {
    const dir = folder('ctrlc')
    let typed = false
    const stopped = await runOnTerminal([], dir, (seen, type) => {
      if (!typed && seen.includes('[y/N]')) {
        typed = true
        type('\x03')
      }
    })
    expect(typed).toBe(true)
    expectExit(stopped, 130)
    // The question comes after what was verified, what the migration changed and what will be written.
    const asked = stopped.stdout.slice(0, stopped.stdout.indexOf('[y/N]'))
    expect(asked).toMatch(/hop 1 +2\/2 carried tables of the production snapshot equal on staging \(550 rows\)/)
    expect(asked).toMatch(/migration +1\/1 step\(s\) done on staging/)
    expect(asked).toMatch(/tables +1 new \([^)]*audit\) · 2 with a changed definition/)
    expect(asked).toContain('About to write the migrated schema and rows ')
    expect(stopped.stdout).toContain('DD_INTERRUPTED')
    expect(stopped.stdout).not.toContain('DD_UNEXPECTED')
    expect(await engine.state(live)).toEqual(original)
    const run = onlyRunIn(dir)
    await continueThenUndo(run, dir, ['--resume', run, '--yes'])
  })

  it('without a terminal and without --yes, names the exact command that continues the run', async () => {
    const dir = folder('notty')
    const refused = await runCli([], dir)
    expectExit(refused, 1)
    expect(refused.stderr).toContain('DD_CONFIRMATION_NEEDED')
    const run = onlyRunIn(dir)
    const command = `npx zx scripts/offline-upgrade.mjs --resume ${run} --yes`
    expect(refused.stderr).toContain(command)
    expect(await engine.state(live)).toEqual(original)
    await continueThenUndo(run, dir, command.split(' ').slice(3))
  })

  it('a run directory under a file, or on a read-only disk, is a clear pre-flight error, not a stack trace', async () => {
    const dir = folder('rundir')
    writeFile(dir, 'not-a-folder', 'x')
    const expectRefused = async (runDir: string, why: string) => {
      writeConfig(dir, { source: engine.url(live), runDir })
      const result = await runCli(['--yes'], dir)
      expectExit(result, 1)
      expect(result.stderr).toContain('DD_PREFLIGHT_RUN_DIR')
      expect(result.stderr).toContain(why)
      expect(result.stderr).not.toContain('unexpected error')
    }
    await expectRefused('not-a-folder/runs', 'is a file, not a folder')

    const readOnly = join(dir, 'read-only')
    mkdirSync(readOnly)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly])
    try {
      await expectRefused('read-only/runs', 'read-only')
    } finally {
      execFileSync('umount', [readOnly])
    }
    expect(await engine.state(live)).toEqual(original)
  })

  it('refuses a target that is the source itself, advising the in-place upgrade', async () => {
    const dir = folder('self', { target: engine.url(live) })
    const result = await runCli(['--plan'], dir)
    expectExit(result, 1)
    expect(result.stderr).toContain('target is the source database itself')
    expect(result.stderr).not.toContain('drop this one')
  })

  it('says to percent-encode a password that breaks its URL, without showing it', async () => {
    const dir = folder('password', { source: engine.url(live).replace(/:\/\/[^@]*@/, '://app:se/cr#et@') })
    const result = await runCli(['--plan'], dir)
    expectExit(result, 1)
    expect(result.stderr).toContain('DD_CONFIG_INVALID')
    expect(result.stderr).toContain('percent-encode')
    expect(result.stderr).toContain('/ as %2F')
    expect(result.stderr).not.toContain('cr#et')
  })

  it('keeps an ephemeral run\'s directory owner-only, and says what --cleanup leaves on disk', async () => {
    const dir = folder('hygiene', { staging: 'ephemeral' })
    expectExit(await runCli(['--yes'], dir), 0)
    const run = onlyRunIn(dir)
    expect(statSync(run).mode & 0o777).toBe(0o700)
    expect(readdirSync(join(dir, 'runs')).filter((name) => name.startsWith('.'))).toEqual([])
    expectExit(await runCli(['--rollback', run], dir), 0)
    const cleanup = await runCli(['--cleanup', run], dir)
    expectExit(cleanup, 0)
    expect(cleanup.stdout).toContain(`${join(run, 'dump')} (`)
    expect(cleanup.stdout).toContain(`rm -rf ${join(run, 'dump')} ${join(run, 'migrated')}`)
    expect(await engine.state(live)).toEqual(original)
  })
})
