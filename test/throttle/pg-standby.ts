/**
 * A throwaway PostgreSQL 15 primary and a streaming standby made with `pg_basebackup -R`, both
 * from the host's binaries, on free ports of 127.0.0.1, in a temp folder (as root: run as the
 * `postgres` system user, like pipeline/drivers/postgres/postgres-ephemeral.ts).
 */
import { existsSync } from 'node:fs'
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Endpoint } from '../../pipeline/config/endpoint.ts'
import { execProgram, lastLines } from '../../pipeline/util/exec.ts'
import { freePort } from '../../pipeline/util/free-port.ts'
import { chownTree, serviceUser } from '../../pipeline/util/service-user.ts'

export const PG_BIN = '/usr/lib/postgresql/15/bin'

export function hasPostgresBinaries(): boolean {
  return ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'].every((b) => existsSync(join(PG_BIN, b)))
}

export interface StandbyPair {
  primary: Endpoint
  standby: Endpoint
  /** Runs SQL on the primary or the standby (database postgres). */
  sql(on: 'primary' | 'standby', text: string): Promise<Record<string, unknown>[]>
  stop(): Promise<void>
}

const endpoint = (port: number): Endpoint => Object.freeze({ engine: 'postgres', host: '127.0.0.1', port, user: 'postgres', database: 'postgres', params: Object.freeze({}) })

export async function startStandbyPair(): Promise<StandbyPair> {
  const user = serviceUser(['postgres'])
  const base = await mkdtemp(join(tmpdir(), 'dd-throttle-pg-'))
  const log = join(base, 'tools.log')
  const primaryDir = join(base, 'primary')
  const standbyDir = join(base, 'standby')
  await mkdir(primaryDir, { mode: 0o700 })
  if (user) chownTree(base, user)
  const run = async (tool: string, args: string[]) => {
    const result = await execProgram(join(PG_BIN, tool), args, { logFile: log, ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } })
    if (result.code !== 0) throw new Error(`${tool} failed:\n${lastLines(result.tail)}`)
  }
  const started: string[] = []
  const stop = async () => {
    for (const dir of started.reverse()) await run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']).catch(() => {})
    await rm(base, { recursive: true, force: true })
  }
  try {
    const [primaryPort, standbyPort] = [await freePort(), await freePort()]
    await run('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
    const settings = ["listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", 'fsync = off', 'wal_level = replica',
      'max_wal_senders = 5', "shared_buffers = '32MB'", 'logging_collector = off', 'wal_receiver_status_interval = 1']
    await appendFile(join(primaryDir, 'postgresql.auto.conf'), `${settings.join('\n')}\nport = ${primaryPort}\n`)
    await run('pg_ctl', ['-D', primaryDir, '-l', join(base, 'primary.log'), '-w', '-t', '60', 'start'])
    started.push(primaryDir)
    await run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'])
    // The copy of the primary's auto.conf comes first; the later lines win.
    await appendFile(join(standbyDir, 'postgresql.auto.conf'), `port = ${standbyPort}\ncluster_name = 'dd_standby'\n`)
    await run('pg_ctl', ['-D', standbyDir, '-l', join(base, 'standby.log'), '-w', '-t', '60', 'start'])
    started.push(standbyDir)
    const ports = { primary: primaryPort, standby: standbyPort }
    const sql = async (on: 'primary' | 'standby', text: string) => {
      const client = new pg.Client({ host: '127.0.0.1', port: ports[on], user: 'postgres', database: 'postgres' })
      await client.connect()
      try {
        return (await client.query(text)).rows as Record<string, unknown>[]
      } finally {
        await client.end()
      }
    }
    for (let i = 0; ; i++) {
      const rows = await sql('primary', "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")
      if (rows.length) break
      if (i > 300) throw new Error('the standby did not start streaming')
      await new Promise((r) => setTimeout(r, 100))
    }
    return { primary: endpoint(primaryPort), standby: endpoint(standbyPort), sql, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
