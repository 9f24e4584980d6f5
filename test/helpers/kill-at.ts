/** kill -9 of drydock at an exact point: DRYDOCK_TEST_PAUSE_AT stops it there (pipeline/util/test-pause.ts). */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { REPO } from './drydock.ts'

/** Runs the CLI with `args` until it pauses at `point`, then SIGKILLs it; resolves once it is gone ('exit': servers it started may hold its stderr open). Returns its stderr. */
export function runCliKilledAt(point: string, args: readonly string[]): Promise<string> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DRYDOCK_TEST_PAUSE_AT: point }
    delete env.PGPASSWORD
    const child = spawn(join(REPO, 'node_modules', '.bin', 'zx'), [join(REPO, 'scripts', 'offline-upgrade.mjs'), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    let paused = false
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      if (!paused && stderr.includes(`drydock: test pause at ${point}\n`)) {
        paused = true
        child.kill('SIGKILL')
      }
    })
    child.on('error', fail)
    child.on('exit', () => (paused ? done(stderr) : fail(new Error(`drydock ended without pausing at ${point}:\n${stderr}`))))
  })
}
