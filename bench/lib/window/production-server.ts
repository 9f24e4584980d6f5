/**
 * The window bench's "production": a throwaway server of its own, so that the WAL / binary log
 * it measures is this bench's alone (the shared servers carry other sessions' writes). Durable
 * and replicated-primary settings, the rest like the shared servers (128 MB buffers, autovacuum
 * off): PostgreSQL 15 with wal_level=replica and fsync on; MariaDB with log_bin, ROW format,
 * sync_binlog=1 and innodb_flush_log_at_trx_commit=1. As root, run as postgres / mysql.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { findServerBinaries } from '../../../pipeline/drivers/mysql/mysql-ephemeral.ts'
import { execProgram, lastLines } from '../../../pipeline/util/exec.ts'
import { freePort } from '../../../pipeline/util/free-port.ts'
import { chownTree, serviceUser } from '../../../pipeline/util/service-user.ts'

export type Engine = 'pg' | 'mysql'

export interface ProductionServer {
  engine: Engine
  /** For psql / mariadb command lines (bench/lib/generate-*.mjs take it as `server`). */
  cli: { host: string; port: number; user: string }
  url(db: string): string
  /** Runs SQL in `db`; rows as the driver returns them. */
  sql(db: string, text: string): Promise<Record<string, unknown>[]>
  /** Bytes written to the WAL / binary log so far (a counter: take differences). */
  logBytes(): Promise<number>
  /** `keep`: stop the server but leave its data for a later `startProduction(…, { reuse: true })`. */
  stop(options?: { keep?: boolean }): Promise<void>
  /** True when it started on the data of an earlier run (`reuse`). */
  reused: boolean
}

const PG_BIN = '/usr/lib/postgresql/15/bin'

export async function startProduction(engine: Engine, base: string, { reuse = false } = {}): Promise<ProductionServer> {
  await stopLeftover(join(base, engine === 'pg' ? 'data/postmaster.pid' : 'server.pid'))
  const reused = reuse && existsSync(join(base, 'initialized'))
  if (!reused) {
    await rm(base, { recursive: true, force: true })
    await mkdir(base, { recursive: true, mode: 0o755 })
  }
  const server = engine === 'pg' ? await startPg(base, reused) : await startMysql(base, reused)
  await writeFile(join(base, 'initialized'), '')
  return server
}

/** A server an earlier bench left running (it was killed): stopped by its pid file before starting again. */
async function stopLeftover(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0])
  const alive = () => { try { process.kill(pid, 0); return true } catch { return false } }
  if (!pid || !alive()) return
  process.kill(pid, 'SIGTERM')
  for (let i = 0; alive() && i < 600; i++) await new Promise((r) => setTimeout(r, 200))
}

async function startPg(base: string, reused: boolean): Promise<ProductionServer> {
  const user = serviceUser(['postgres'])
  const dir = join(base, 'data')
  const log = join(base, 'tools.log')
  if (!reused) await mkdir(dir, { mode: 0o700 })
  if (user) chownTree(base, user)
  const run = async (tool: string, args: string[]) => {
    const r = await execProgram(join(PG_BIN, tool), args, { logFile: log, ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } })
    if (r.code !== 0) throw new Error(`${tool} failed:\n${lastLines(r.tail)}`)
  }
  const port = await freePort()
  if (!reused) await run('initdb', ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'])
  // On reuse the settings are appended again: the last `port` line wins.
  const settings = ["listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", 'wal_level = replica', 'max_wal_senders = 5',
    "shared_buffers = '128MB'", "max_wal_size = '1GB'", 'autovacuum = off', 'logging_collector = off', `port = ${port}`]
  await appendFile(join(dir, 'postgresql.auto.conf'), `${settings.join('\n')}\n`)
  await run('pg_ctl', ['-D', dir, '-l', join(base, 'server.log'), '-w', '-t', '120', 'start'])
  const sql = async (db: string, text: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: db })
    await client.connect()
    try {
      return (await client.query(text)).rows as Record<string, unknown>[]
    } finally {
      await client.end()
    }
  }
  return {
    engine: 'pg',
    cli: { host: '127.0.0.1', port, user: 'postgres' },
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    sql,
    logBytes: async () => Number((await sql('postgres', "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS b"))[0]!.b),
    stop: async ({ keep = false } = {}) => {
      await run('pg_ctl', ['-D', dir, '-m', 'fast', '-w', 'stop']).catch(() => {})
      if (!keep) await rm(base, { recursive: true, force: true })
    },
    reused,
  }
}

async function startMysql(base: string, reused: boolean): Promise<ProductionServer> {
  const binaries = findServerBinaries()
  if (!binaries?.installDb) throw new Error('no MariaDB server binaries (mariadb-install-db)')
  const user = serviceUser(['mysql'])
  const dataDir = join(base, 'data')
  const tmpDir = join(base, 'tmp')
  const socket = join(base, 'mysqld.sock')
  await mkdir(tmpDir, { recursive: true })
  if (user) chownTree(base, user)
  const init = reused ? { code: 0, tail: '' } : await execProgram(binaries.installDb, ['--no-defaults', `--datadir=${dataDir}`, `--tmpdir=${tmpDir}`, '--auth-root-authentication-method=normal',
    '--skip-test-db', '--skip-name-resolve', ...(user ? [`--user=${user.name}`] : [])], { logFile: join(base, 'install.log') })
  if (init.code !== 0) throw new Error(`mariadb-install-db failed:\n${lastLines(init.tail)}`)
  const port = await freePort()
  const child: ChildProcess = spawn(binaries.server, ['--no-defaults', `--datadir=${dataDir}`, `--tmpdir=${tmpDir}`, `--socket=${socket}`, `--port=${port}`,
    '--bind-address=127.0.0.1', `--pid-file=${join(base, 'server.pid')}`, `--log-error=${join(base, 'server.log')}`, '--skip-name-resolve',
    '--server-id=1', '--log-bin=mysql-bin', '--binlog-format=ROW', '--sync-binlog=1', '--innodb-flush-log-at-trx-commit=1',
    '--innodb-buffer-pool-size=128M', '--innodb-log-file-size=96M', '--max-allowed-packet=64M', '--local-infile=1', '--performance-schema=OFF',
    ...(user ? [`--user=${user.name}`] : [])], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const viaSocket = async (text: string) => {
    const conn = await mysql.createConnection({ socketPath: socket, user: 'root', connectTimeout: 2_000 })
    try { return (await conn.query(text))[0] } finally { await conn.end() }
  }
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  }
  try {
    for (let i = 0; ; i++) {
      if (await viaSocket('SELECT 1').then(() => true, () => false)) break
      if (child.exitCode !== null || i > 600) throw new Error(`mariadbd did not start (see ${join(base, 'server.log')})`)
      await new Promise((r) => setTimeout(r, 200))
    }
    // drydock and the mariadb client connect over TCP: root@127.0.0.1, no password (a local throwaway server).
    await viaSocket("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'")
    await viaSocket("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
  } catch (error) {
    await kill()
    throw error
  }
  const sql = async (db: string, text: string) => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', database: db, multipleStatements: true })
    try {
      const [rows] = await conn.query(text)
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []
    } finally {
      await conn.end()
    }
  }
  return {
    engine: 'mysql',
    cli: { host: '127.0.0.1', port, user: 'root' },
    url: (db) => `mysql://root@127.0.0.1:${port}/${db}`,
    sql,
    logBytes: async () => (await sql('mysql', 'SHOW BINARY LOGS')).reduce((s, r) => s + Number(r.File_size), 0),
    stop: async ({ keep = false } = {}) => {
      await kill()
      if (!keep) await rm(base, { recursive: true, force: true })
    },
    reused,
  }
}
