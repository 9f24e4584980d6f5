/**
 * A throwaway MariaDB configured like a replicated primary: binary log in ROW format,
 * sync_binlog=1, innodb_flush_log_at_trx_commit=1, doublewrite on. The shared MariaDB of the
 * development machine runs without a binary log, so it would flatter the in-place migration.
 * Its buffer pool and redo log are given (a production server is sized for its data too), so
 * that the comparison with staging is about durability, not about memory.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findServerBinaries, rootQuery as query } from '../../pipeline/drivers/mysql/mysql-ephemeral.ts'
import { execProgram, lastLines } from '../../pipeline/util/exec.ts'
import { freePort } from '../../pipeline/util/free-port.ts'
import { chownTree, serviceUser } from '../../pipeline/util/service-user.ts'

export interface ProductionMariadb { port: number; pidFile: string; url(database: string): string; stop(): Promise<void> }

export async function startProductionMariadb(options: { bufferPoolMB: number; logFileMB: number }): Promise<ProductionMariadb> {
  const binaries = findServerBinaries()
  if (!binaries?.installDb) throw new Error('no MariaDB server binaries')
  const runAs = serviceUser(['mysql'])
  const base = await mkdtemp(join(tmpdir(), 'dd-bench-prod-my-'))
  const socket = join(base, 'mysqld.sock')
  const port = await freePort()
  let child: ChildProcess | undefined
  let exited: Promise<void> | undefined
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
    await rm(base, { recursive: true, force: true })
  }
  try {
    await mkdir(join(base, 'tmp'))
    if (runAs) chownTree(base, runAs)
    const init = await execProgram(binaries.installDb, ['--no-defaults', `--datadir=${join(base, 'data')}`, `--tmpdir=${join(base, 'tmp')}`,
      '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...(runAs ? [`--user=${runAs.name}`] : [])], { logFile: join(base, 'install.log') })
    if (init.code !== 0) throw new Error(`mariadb-install-db failed:\n${lastLines(init.tail)}`)
    child = spawn(binaries.server, ['--no-defaults', `--datadir=${join(base, 'data')}`, `--tmpdir=${join(base, 'tmp')}`, `--socket=${socket}`,
      `--port=${port}`, '--bind-address=127.0.0.1', `--pid-file=${join(base, 'server.pid')}`, `--log-error=${join(base, 'server.log')}`,
      '--skip-name-resolve', '--performance-schema=OFF', '--local-infile=1', '--max-allowed-packet=1G', '--character-set-server=utf8mb4',
      '--server-id=1', '--log-bin=mysql-bin', '--binlog-format=ROW', '--sync-binlog=1', '--innodb-flush-log-at-trx-commit=1', '--innodb-doublewrite=1',
      `--innodb-buffer-pool-size=${options.bufferPoolMB}M`, `--innodb-log-file-size=${options.logFileMB}M`,
      ...(runAs ? [`--user=${runAs.name}`] : [])], { stdio: 'ignore' })
    const c = child
    exited = new Promise((resolve) => c.once('exit', () => resolve()))
    for (let i = 0; ; i++) {
      if (await query(socket, 'SELECT 1').then(() => true, () => false)) break
      if (c.exitCode !== null || i > 600) throw new Error(`mariadbd did not start in ${base}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    await query(socket, "CREATE USER 'bench'@'127.0.0.1'")
    await query(socket, "GRANT ALL PRIVILEGES ON *.* TO 'bench'@'127.0.0.1' WITH GRANT OPTION")
    return { port, pidFile: join(base, 'server.pid'), url: (database) => `mysql://bench@127.0.0.1:${port}/${database}`, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
