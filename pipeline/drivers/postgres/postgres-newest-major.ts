import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { DrydockError } from '../../errors.ts'
import { findServerBinaries } from './postgres-ephemeral.ts'
import { binaryFolders, binaryMajor } from './postgres-tools.ts'

/**
 * A server started without a source to match (the demo's "production") must be one the
 * installed pg_dump can read: the newest major that has both client tools and server binaries
 * (host or embedded).
 */
export async function newestServerMajor(): Promise<number> {
  const majors = new Set<number>()
  for (const folder of binaryFolders()) {
    const pgDump = join(folder, 'pg_dump')
    if (existsSync(pgDump)) {
      const major = binaryMajor(pgDump)
      if (major) majors.add(major)
    }
  }
  const usable = [...majors].sort((a, b) => b - a).find((m) => findServerBinaries(m))
  if (usable) return usable
  throw new DrydockError('DD_PG_DUMP_MISSING', majors.size === 0
    ? 'the demo needs the PostgreSQL client tools (pg_dump, psql) and none were found'
    : `no PostgreSQL server binaries match the installed pg_dump (${[...majors].join(', ')}); the bundled server is PostgreSQL 15`, {
    hint: 'install the client tools: "apt-get install postgresql-client-15" (Debian/Ubuntu) or "brew install postgresql@15"',
  })
}
