import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { DrydockError } from '../../errors.ts'

export interface ClientTools {
  readonly pgDump: string
  readonly psql: string
  /** Beside pg_dump; parallel post-data uses it when present. */
  readonly pgRestore?: string
  readonly major: number
}

/** Folders where PostgreSQL binaries live on common systems, newest layout first. */
export function binaryFolders(): string[] {
  const folders = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  const versioned = (root: string, pattern: RegExp, sub: string) =>
    existsSync(root) ? readdirSync(root).filter((d) => pattern.test(d)).map((d) => join(root, d, sub)) : []
  return [
    ...versioned('/usr/lib/postgresql', /^\d+$/, 'bin'),
    ...versioned('/usr', /^pgsql-\d+$/, 'bin'),
    ...versioned('/opt/homebrew/opt', /^postgresql@\d+$/, 'bin'),
    ...versioned('/usr/local/opt', /^postgresql@\d+$/, 'bin'),
    ...folders,
  ]
}

export function binaryMajor(path: string): number | undefined {
  try {
    const out = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 })
    const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(out)
    if (!match) return undefined
    const major = Number(match[1])
    return major >= 10 ? major : Number(`${match[1]}.${match[2]}`)
  } catch {
    return undefined
  }
}

const cache = new Map<number, ClientTools>()

/**
 * pg_dump must be at least the server's major version; the same major is preferred, since a
 * newer pg_dump may emit settings an older server rejects.
 */
export function findClientTools(serverMajor: number): ClientTools {
  const cached = cache.get(serverMajor)
  if (cached) return cached
  const found: ClientTools[] = []
  for (const folder of binaryFolders()) {
    const pgDump = join(folder, 'pg_dump')
    const psql = join(folder, 'psql')
    if (!existsSync(pgDump) || !existsSync(psql)) continue
    const major = binaryMajor(pgDump)
    const pgRestore = join(folder, 'pg_restore')
    if (major !== undefined && major >= serverMajor) found.push({ pgDump, psql, major, ...(existsSync(pgRestore) ? { pgRestore } : {}) })
  }
  found.sort((a, b) => a.major - b.major)
  const best = found[0]
  if (!best) {
    throw new DrydockError('DD_PG_DUMP_MISSING', `no pg_dump of PostgreSQL ${serverMajor} or newer found (looked in PATH and /usr/lib/postgresql/*/bin)`, {
      stage: 'preflight',
      hint: `install the PostgreSQL ${serverMajor} client tools, e.g. "apt-get install postgresql-client-${serverMajor}" (Debian/Ubuntu, PGDG repository for other versions) or "brew install postgresql@${serverMajor}"`,
    })
  }
  cache.set(serverMajor, best)
  return best
}
