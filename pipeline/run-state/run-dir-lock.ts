import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { DrydockError } from '../errors.ts'
import { processAlive } from '../util/server-folder.ts'

interface LockOwner { pid: number; host: string; since: string }

/**
 * `<run>/lock`, created exclusively. A lock whose process is gone (kill -9, power loss on
 * this host) is taken over; a live one is refused with its owner named.
 */
export function lockRunDir(runDir: string): () => void {
  const file = join(runDir, 'lock')
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o600 })
      return () => rmSync(file, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = readOwner(file)
      if (owner && (owner.host !== me.host || processAlive(owner.pid))) {
        throw new DrydockError('DD_RUN_LOCKED', `run directory ${runDir} is in use by process ${owner.pid} on ${owner.host} (since ${owner.since})`, {
          hint: owner.host === me.host
            ? 'wait for that run to finish or stop it; two runs never share a run directory'
            : `if that host is down for good, delete ${file} and try again`,
        })
      }
      rmSync(file, { force: true })
    }
  }
  throw new DrydockError('DD_RUN_LOCKED', `could not lock run directory ${runDir}`, { hint: 'try again' })
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner
  } catch {
    return undefined
  }
}

/** The live process holding the run directory, if any (for --status and --list; reads only). */
export function runDirHolder(runDir: string): LockOwner | undefined {
  const owner = readOwner(join(runDir, 'lock'))
  if (!owner) return undefined
  return owner.host !== hostname() || processAlive(owner.pid) ? owner : undefined
}
