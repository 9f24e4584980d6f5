import { spawn } from 'node:child_process'
import { statfsSync } from 'node:fs'
import { join } from 'node:path'
import mysql from 'mysql2'
import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import { freePort } from '../../util/free-port.ts'
import { serviceUser, type ServiceUser } from '../../util/service-user.ts'
import type { EphemeralOptions, EphemeralServer } from '../driver.ts'
import { readFile, writeFile } from 'node:fs/promises'
import { cacheMB } from '../../util/server-memory.ts'
import { existingServerFolder, processAlive } from '../../util/server-folder.ts'
import { quoteString } from './mysql-connect.ts'
import { removeFolders, reuseFolders, serverFolders, type ServerFolders, tailOf } from './mysql-ephemeral-files.ts'
import { binaryFlavor, findBinary } from './mysql-tools.ts'

interface ServerBinaries { server: string; installDb?: string; mariadb: boolean; major: number; version: string }

/** Host server binaries: MariaDB (mariadbd + mariadb-install-db) or MySQL (mysqld --initialize). */
export function findServerBinaries(): ServerBinaries | undefined {
  const server = findBinary(['mariadbd', 'mysqld'])
  const flavor = server ? binaryFlavor(server) : undefined
  if (!server || !flavor) return undefined
  const installDb = flavor.mariadb ? findBinary(['mariadb-install-db', 'mysql_install_db']) : undefined
  if (flavor.mariadb && !installDb) return undefined
  return { server, ...(installDb ? { installDb } : {}), mariadb: flavor.mariadb, major: flavor.major, version: flavor.version }
}

/** Memory and redo log of one server folder, chosen at its first start and kept for its restarts. */
interface Sizing { bufferPoolMB: number; logFileMB: number }

/**
 * A server for bulk work on data that also lives elsewhere: no binlog, no doublewrite, lazy
 * flush. Its own tmpdir: at start a server deletes every #sql* file in its tmpdir, which in a
 * shared /tmp would pull temporary tables from under the host's other servers.
 */
function serverArgs(b: ServerBinaries, f: ServerFolders, port: number, sizing: Sizing, user?: ServiceUser): string[] {
  return [
    '--no-defaults', `--datadir=${f.dataDir}`, `--tmpdir=${f.tmpDir}`, `--socket=${f.socket}`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--pid-file=${join(f.base, 'server.pid')}`, `--log-error=${join(f.base, 'server.log')}`,
    '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--local-infile=1',
    '--skip-name-resolve', '--max-allowed-packet=1G', `--innodb-buffer-pool-size=${sizing.bufferPoolMB}M`, '--performance-schema=OFF',
    // Bulk loading and table rebuilds (ALTER TABLE copies, UPDATE over every row): a buffer pool
    // that holds the data as the migration leaves it and a redo log big enough that neither
    // forces pages out mid-statement (sized from the data: sizeServer); room to sort in index
    // builds; page flushing not held back to a disk's pace; in-memory temporary tables up to
    // 256 MiB; LOAD DATA of several parts of one table side by side, not one at a time behind
    // the table-level AUTO-INC lock (interleaved mode: every key value is given in the file anyway).
    `--innodb-log-file-size=${sizing.logFileMB}M`, '--innodb-log-buffer-size=256M', '--innodb-sort-buffer-size=64M', '--innodb-io-capacity=2000',
    '--tmp-table-size=256M', '--max-heap-table-size=256M', '--innodb-autoinc-lock-mode=2',
    '--character-set-server=utf8mb4', ...(b.mariadb ? [] : ['--mysqlx=OFF']), ...(user ? [`--user=${user.name}`] : []),
  ]
}

/**
 * Buffer pool from the data and the memory free now (cacheMB); redo log twice the data (a
 * rebuild logs about its size), 1–8 GiB and at most an eighth of the free disk. Written to
 * the server folder so that a restart of the same staging keeps it.
 */
async function sizeServer(base: string, options: EphemeralOptions): Promise<Sizing> {
  const file = join(base, 'sizing.json')
  if (options.reuse) {
    const kept = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Sizing, () => undefined)
    if (kept) return kept
  }
  const disk = statfsSync(base)
  const dataMB = (options.dataBytes ?? 0) / 1024 / 1024
  const sizing = {
    bufferPoolMB: cacheMB(options.dataBytes),
    logFileMB: Math.floor(Math.max(1024, Math.min(8192, dataMB * 2, (disk.bavail * disk.bsize) / 8 / 1024 / 1024))),
  }
  await writeFile(file, JSON.stringify(sizing))
  return sizing
}

function missing(major: number, found?: ServerBinaries): DrydockError {
  // major is major + minor / 100 (mysql-connect.ts); MariaDB's majors start at 10, MySQL's end at 9.
  const name = `${Math.floor(major)}.${Math.round((major % 1) * 100)}`
  const wanted = major === 0 ? 'MySQL or MariaDB' : `${major >= 10 ? 'MariaDB' : 'MySQL'} ${name}`
  return new DrydockError('DD_STAGING_BINARIES_MISSING', `no ${wanted} server binaries found for ephemeral staging${found ? ` (found ${found.version} at ${found.server})` : ''}`, {
    stage: 'staging',
    hint: `install the server of production's version ("apt-get install mariadb-server", or mysql-server for MySQL), or set staging to a database URL`,
  })
}

/**
 * Starts a throwaway server in `dir` on a free port of 127.0.0.1 with a private socket.
 * `superuser`@127.0.0.1 gets every privilege and no password: only local processes can
 * reach it, and no password exists that could leak. `major` 0 takes whatever is installed.
 */
export async function startEphemeralMysql(dir: string, options: EphemeralOptions): Promise<EphemeralServer> {
  const binaries = findServerBinaries()
  if (!binaries) throw missing(options.major)
  if (options.major !== 0 && binaries.major !== options.major) throw missing(options.major, binaries)
  const user = serviceUser(['mysql'])
  if (process.getuid?.() === 0 && !user) {
    throw new DrydockError('DD_STAGING_USER_MISSING', 'the MySQL server will not run as root and no "mysql" user exists to run it', {
      stage: 'staging', hint: 'create a system user "mysql", or run drydock as an ordinary user',
    })
  }
  const f = options.reuse
    ? await reuseFolders(existingServerFolder(dir, join('data', 'mysql')), user)
    : await serverFolders(dir, user, binaries.server)
  if (options.reuse) await stopLeftover(join(f.base, 'server.pid'))
  const init = options.reuse ? { code: 0, tail: '' } : binaries.mariadb
    ? await execProgram(binaries.installDb!, ['--no-defaults', `--datadir=${f.dataDir}`, `--tmpdir=${f.tmpDir}`, '--auth-root-authentication-method=normal',
      '--skip-test-db', '--skip-name-resolve', ...(user ? [`--user=${user.name}`] : [])], { logFile: options.logFile })
    : await execProgram(binaries.server, ['--no-defaults', '--initialize-insecure', `--datadir=${f.dataDir}`, `--tmpdir=${f.tmpDir}`, ...(user ? [`--user=${user.name}`] : [])], { logFile: options.logFile })
  if (init.code !== 0) {
    await removeFolders(f)
    throw new DrydockError('DD_STAGING_START_FAILED', `initializing the ephemeral server in ${f.dataDir} failed:\n${lastLines(init.tail)}`, {
      stage: 'staging', hint: `see ${options.logFile}`,
    })
  }
  const sizing = await sizeServer(f.base, options)
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const child = spawn(binaries.server, serverArgs(binaries, f, port, sizing, user), { stdio: 'ignore', detached: true })
    child.unref()
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    if (!(await waitReady(f.socket, exited))) {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
      continue
    }
    await createSuperuser(f.socket, options.superuser)
    const endpoint: Endpoint = Object.freeze({
      engine: 'mysql', host: '127.0.0.1', port, user: options.superuser, database: 'mysql', params: Object.freeze({}),
    })
    return {
      endpoint,
      dataDir: f.dataDir,
      binaries: binaries.server,
      stop: async ({ keep = false } = {}) => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
          await exited
          clearTimeout(timer)
        }
        if (!keep) await removeFolders(f)
      },
    }
  }
  const tail = await tailOf(join(f.base, 'server.log'))
  throw new DrydockError('DD_STAGING_START_FAILED', `the ephemeral server did not start:\n${lastLines(tail)}`, {
    stage: 'staging', hint: `see ${join(f.base, 'server.log')}`,
  })
}

/** A server left running by an attempt whose drydock was killed: stop it before starting again. */
async function stopLeftover(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
  if (!pid || !processAlive(pid)) return
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 120_000
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  if (processAlive(pid)) process.kill(pid, 'SIGKILL')
}

/** Polls the socket until the server answers as root; false if it exited first. */
async function waitReady(socketPath: string, exited: Promise<void>): Promise<boolean> {
  let gone = false
  void exited.then(() => { gone = true })
  const deadline = Date.now() + 120_000
  while (!gone && Date.now() < deadline) {
    if (await rootQuery(socketPath, 'SELECT 1').then(() => true, () => false)) return true
    await new Promise((r) => setTimeout(r, 200))
  }
  return false
}

async function createSuperuser(socketPath: string, name: string): Promise<void> {
  const account = `${quoteString(name)}@'127.0.0.1'`
  await rootQuery(socketPath, `CREATE USER IF NOT EXISTS ${account}`)
  await rootQuery(socketPath, `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION`)
}

/** Runs `sql` as root on a server's socket (a fresh server's only account). */
export function rootQuery(socketPath: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const conn = mysql.createConnection({ socketPath, user: 'root', connectTimeout: 2_000 })
    conn.on('error', () => {})
    conn.query(sql, (error) => {
      conn.destroy()
      if (error) reject(error)
      else resolve()
    })
  })
}
