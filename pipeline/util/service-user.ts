import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, readdirSync, statSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { basename, dirname, join } from 'node:path'

export interface ServiceUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
}

/**
 * Database servers refuse to run as root. When drydock runs as root, the servers it starts
 * run as the first of these system users that exists.
 */
export function serviceUser(candidates: readonly string[]): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined
  for (const name of candidates) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim())
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
      return { name, uid, gid }
    } catch {
      // try the next one
    }
  }
  return undefined
}

/** Whether `user` can create files in `dir` (every parent folder must let it through). */
export function canWrite(user: ServiceUser, dir: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'test -w "$1" && test -x "$1"', 'sh', dir], { uid: user.uid, gid: user.gid }).status === 0
}

export function canExecute(user: ServiceUser, file: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', file], { uid: user.uid, gid: user.gid }).status === 0
}

export function chownTree(path: string, user: ServiceUser): void {
  chownSync(path, user.uid, user.gid)
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), user)
}

/**
 * Where a server run as `user` keeps its files when drydock runs as root. The run directory
 * `<runs>/<run>` stays owner-only (0700), so the server gets a folder of its own beside it,
 * `<runs>/.<run>-staging` (the runs folder only lets others pass through), or one in the system
 * temp when it cannot reach there. `dir`'s LOCATION file names it, for resume and cleanup.
 */
export async function serviceUserFolder(dir: string, user: ServiceUser): Promise<string> {
  const runRoot = dirname(dir)
  const runs = dirname(runRoot)
  await chmod(runs, (statSync(runs).mode & 0o777) | 0o011)
  let base = join(runs, `.${basename(runRoot)}-staging`)
  await mkdir(base, { recursive: true, mode: 0o700 })
  chownTree(base, user)
  if (!canWrite(user, base)) {
    await rm(base, { recursive: true, force: true })
    base = await mkdtemp(join(tmpdir(), 'drydock-staging-'))
    chownTree(base, user)
  }
  await writeFile(join(dir, 'LOCATION'), `${base}\n(the server runs as "${user.name}", which may not enter the run directory; ${userInfo().username} runs drydock)\n`, { mode: 0o600 })
  return base
}
