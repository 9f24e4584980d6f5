import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DrydockError } from '../../errors.ts'
import type { ErrorCode } from '../../error-codes.ts'

/**
 * The run directory must be a folder drydock can write, checked before anything else so that a
 * typo in `runDir` or a read-only disk never shows as a stack trace half-way through a run.
 * `probe`: create the folder and write a file in it, then remove both (a real run); else only check access (--plan).
 */
export function checkRunDir(runDir: string, probe: boolean): void {
  let existing = runDir
  let firstMissing: string | undefined
  while (!existsSync(existing) && dirname(existing) !== existing) {
    firstMissing = existing
    existing = dirname(existing)
  }
  if (!statSync(existing).isDirectory()) {
    throw runDirError(runDir, `${existing} is a file, not a folder`, `set runDir in the config to a folder (or move ${existing} away)`)
  }
  try {
    if (!probe) {
      accessSync(existing, constants.W_OK | constants.X_OK)
      return
    }
    mkdirSync(runDir, { recursive: true, mode: 0o700 })
    const file = join(runDir, `.write-check-${process.pid}`)
    writeFileSync(file, 'drydock\n', { mode: 0o600 })
    rmSync(file)
    // Pre-flight writes nothing: the run creates its folders once every check passed.
    if (firstMissing) rmSync(firstMissing, { recursive: true, force: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOSPC') throw runDirError(runDir, 'its disk is full', 'free space there, or set runDir in the config to a folder on a larger disk', 'DD_DISK_FULL')
    const why = code === 'EROFS' ? 'its filesystem is read-only' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message
    throw runDirError(runDir, `it cannot be written (${why})`, 'give this user write access to it, or set runDir in the config to a folder it can write')
  }
}

function runDirError(runDir: string, problem: string, hint: string, code: ErrorCode = 'DD_PREFLIGHT_RUN_DIR'): DrydockError {
  return new DrydockError(code, `run directory ${runDir}: ${problem}`, { stage: 'preflight', hint })
}
