import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)))

export interface DrydockVersion {
  readonly version: string
  /** The checkout's commit (null outside a git checkout, e.g. installed from npm). */
  readonly commit: string | null
  /** Uncommitted changes in the checkout. */
  readonly dirty: boolean
}

let cached: DrydockVersion | undefined

/** drydock's package version and, in a git checkout, its commit: for --version and the report. */
export function drydockVersion(): DrydockVersion {
  if (cached) return cached
  const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }
  let commit: string | null = null
  let dirty = false
  if (existsSync(join(repo, '.git'))) {
    try {
      const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
      commit = git('rev-parse', 'HEAD')
      dirty = git('status', '--porcelain', '--untracked-files=no') !== ''
    } catch {
      commit = null
    }
  }
  cached = { version, commit, dirty }
  return cached
}

export function versionText(v: DrydockVersion = drydockVersion()): string {
  return `drydock ${v.version}${v.commit ? ` (commit ${v.commit.slice(0, 12)}${v.dirty ? ', with uncommitted changes' : ''})` : ''}`
}
