/**
 * Two throwaway MariaDB servers from the host's binaries: a primary with a binary log and a
 * replica of it, on free ports of 127.0.0.1, in a temp folder (as root: run as the `mysql`
 * system user, like pipeline/drivers/mysql/mysql-ephemeral.ts). Ephemeral staging cannot
 * serve here: it runs without a binary log.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mysql from 'mysql2'
import { findServerBinaries } from '../../pipeline/drivers/mysql/mysql-ephemeral.ts'
import { execProgram, lastLines } from '../../pipeline/util/exec.ts'
import { freePort } from '../../pipeline/util/free-port.ts'
import { chownTree, serviceUser } from '../../pipeline/util/service-user.ts'

export function hasMariadbBinaries(): boolean {
  return findServerBinaries()?.mariadb === true
}

export interface MariadbPair {
  primaryPort: number
  replicaPort: number
  /** Runs SQL as root on a server's socket; rows as mysql2 returns them. */
  sql(on: 'primary' | 'replica', text: string): Promise<Record<string, unknown>[]>
  stop(): Promise<void>
}

interface Server { dir: string; socket: string; port: number; child?: ChildProcess; exited?: Promise<void> }

function query(socketPath: string, sql: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const conn = mysql.createConnection({ socketPath, user: 'root', connectTimeout: 2_000 })
    conn.on('error', () => {})
    conn.query(sql, (error, rows) => {
      conn.destroy()
      if (error) reject(error)
      else resolve(Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [])
    })
  })
}

/** `user`@127.0.0.1 with `password` and every privilege exists on both; the replica follows the primary. */
export async function startMariadbPair(user: string, password: string): Promise<MariadbPair> {
  const binaries = findServerBinaries()
  if (!binaries?.installDb) throw new Error('no MariaDB server binaries')
  const runAs = serviceUser(['mysql'])
  const base = await mkdtemp(join(tmpdir(), 'dd-throttle-my-'))
  const servers: Record<'primary' | 'replica', Server> = {
    primary: { dir: join(base, 'primary'), socket: join(base, 'primary', 'mysqld.sock'), port: await freePort() },
    replica: { dir: join(base, 'replica'), socket: join(base, 'replica', 'mysqld.sock'), port: await freePort() },
  }
  const stop = async () => {
    for (const s of [servers.replica, servers.primary]) {
      if (s.child && s.child.exitCode === null && s.child.signalCode === null) {
        s.child.kill('SIGKILL')
        await s.exited
      }
    }
    await rm(base, { recursive: true, force: true })
  }
  try {
    await mkdir(join(servers.primary.dir, 'tmp'), { recursive: true })
    if (runAs) chownTree(base, runAs)
    const init = await execProgram(binaries.installDb, ['--no-defaults', `--datadir=${join(servers.primary.dir, 'data')}`, `--tmpdir=${join(servers.primary.dir, 'tmp')}`,
      '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...(runAs ? [`--user=${runAs.name}`] : [])], { logFile: join(base, 'install.log') })
    if (init.code !== 0) throw new Error(`mariadb-install-db failed:\n${lastLines(init.tail)}`)
    // One initialisation serves both: the replica starts as a copy taken before any change.
    await cp(servers.primary.dir, servers.replica.dir, { recursive: true })
    if (runAs) chownTree(base, runAs)
    const start = async (s: Server, extra: string[]) => {
      s.child = spawn(binaries.server, ['--no-defaults', `--datadir=${join(s.dir, 'data')}`, `--tmpdir=${join(s.dir, 'tmp')}`, `--socket=${s.socket}`,
        `--port=${s.port}`, '--bind-address=127.0.0.1', `--pid-file=${join(s.dir, 'server.pid')}`, `--log-error=${join(s.dir, 'server.log')}`,
        '--skip-name-resolve', '--innodb-buffer-pool-size=32M', '--performance-schema=OFF', '--innodb-flush-log-at-trx-commit=0',
        ...extra, ...(runAs ? [`--user=${runAs.name}`] : [])], { stdio: 'ignore' })
      const child = s.child
      s.exited = new Promise((resolve) => child.once('exit', () => resolve()))
      for (let i = 0; ; i++) {
        if (await query(s.socket, 'SELECT 1').then(() => true, () => false)) return
        if (child.exitCode !== null || i > 300) throw new Error(`mariadbd did not start in ${s.dir}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    await start(servers.primary, ['--server-id=1', '--log-bin=mysql-bin', '--binlog-format=ROW'])
    await start(servers.replica, ['--server-id=2', '--skip-log-bin', '--relay-log=relay-bin', '--report-host=127.0.0.1'])
    const account = `'${user}'@'127.0.0.1'`
    for (const s of [servers.primary, servers.replica]) {
      await query(s.socket, `CREATE USER ${account} IDENTIFIED BY '${password}'`)
      await query(s.socket, `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION`)
    }
    // Replication starts after the accounts: the replica never replays their creation.
    const [status] = await query(servers.primary.socket, 'SHOW MASTER STATUS')
    await query(servers.replica.socket, `CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${servers.primary.port}, MASTER_USER = '${user}',
      MASTER_PASSWORD = '${password}', MASTER_LOG_FILE = '${status!.File}', MASTER_LOG_POS = ${status!.Position}, MASTER_USE_GTID = no`)
    await query(servers.replica.socket, 'START SLAVE')
    return {
      primaryPort: servers.primary.port,
      replicaPort: servers.replica.port,
      sql: (on, text) => query(servers[on].socket, text),
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
