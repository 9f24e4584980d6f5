/** Running drydock from tests: configs in temp folders, run directories, errors, the CLI. */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { type ParsedConfig, parseConfig } from '../../pipeline/config/config.ts'
import type { RunOptions } from '../../pipeline/run-state/context.ts'
import { DrydockError } from '../../pipeline/errors.ts'
import type { ReportData } from '../../pipeline/report/report-data.ts'
import type { Manifest } from '../../pipeline/run-state/run-dir.ts'

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)))

const made: string[] = []

/** A fresh folder under the system temp directory, removed by `removeTempDirs`. */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dd-test-${tag}-`))
  made.push(dir)
  return dir
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** A config as a user would write it, parsed as if it were `<dir>/upgrade.config.mjs`. */
export function configIn(dir: string, raw: Record<string, unknown>): ParsedConfig {
  return parseConfig({ runDir: join(dir, 'runs'), ...raw }, join(dir, 'upgrade.config.mjs'))
}

export const RUN_OPTIONS: RunOptions = { yes: true, keepStaging: false, jobs: 2 }

export function writeFile(dir: string, name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

/** Awaits a rejection and checks it is a DrydockError with this code; returns it. */
export async function expectDrydockError(promise: Promise<unknown>, code: string): Promise<DrydockError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  expect(caught, 'expected the call to fail').toBeInstanceOf(DrydockError)
  const error = caught as DrydockError
  expect(error.code, error.message).toBe(code)
  return error
}

/** The one run directory under a config's runDir (each test has its own runDir). */
export function onlyRun(config: ParsedConfig): string {
  const runs = existsSync(config.runDir) ? readdirSync(config.runDir) : []
  expect(runs, `runs in ${config.runDir}`).toHaveLength(1)
  return join(config.runDir, runs[0]!)
}

export function readReport(runDir: string): ReportData {
  return JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as ReportData
}

export function readManifest(runDir: string): Manifest {
  return JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as Manifest
}

/** Every file under `dir`, recursively. */
export function walkFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) out.push(...walkFiles(path))
    else out.push(path)
  }
  return out
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** `zx scripts/offline-upgrade.mjs ...args` as a child process, the way an operator runs it. */
export function runCli(args: readonly string[], cwd = REPO): Promise<CliResult> {
  return new Promise((done, fail) => {
    const env = { ...process.env }
    delete env.PGPASSWORD
    const child = spawn(join(REPO, 'node_modules', '.bin', 'zx'), [join(REPO, 'scripts', 'offline-upgrade.mjs'), ...args], {
      cwd, env, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}
