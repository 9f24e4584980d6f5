import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DrydockError } from '../errors.ts'

/**
 * Where an earlier run put its ephemeral server: the folder itself, or the private temp
 * folder named on the first line of its LOCATION file.
 */
export function existingServerFolder(dir: string, marker: string): string {
  const location = join(dir, 'LOCATION')
  const base = existsSync(location) ? readFileSync(location, 'utf8').split('\n')[0]!.trim() : dir
  if (!existsSync(join(base, marker))) {
    throw new DrydockError('DD_RESUME_STAGING_GONE', `the ephemeral staging server of this run is gone (${join(base, marker)} is missing)`, {
      stage: 'staging', hint: 'the run cannot continue from staging; start a new run',
    })
  }
  return base
}

/** Whether a process with this pid is alive (a pid file left by a server drydock started). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
