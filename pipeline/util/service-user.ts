import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

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
