/**
 * What bounds a migration: the CPU seconds of one database server's processes (read from
 * /proc every 250 ms), the machine's iowait, and the server's own counters of fsyncs, log and
 * data bytes written (SHOW GLOBAL STATUS / pg_stat_wal, pg_stat_bgwriter) before and after.
 */
import { readdirSync, readFileSync } from 'node:fs'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { Driver } from '../../pipeline/drivers/driver.ts'
import type { Endpoint } from '../../pipeline/config/endpoint.ts'

const TICK = 100

function cpuOf(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[11]) + Number(rest[12])) / TICK
  } catch {
    return 0
  }
}

function machine() {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  return { busy: (v[0]! + v[1]! + v[2]! + v[5]! + v[6]!) / TICK, iowait: v[4]! / TICK, idle: v[3]! / TICK }
}

/**
 * The server whose pid file is given and, for PostgreSQL, its children: every one when
 * `database` is not given (an ephemeral server serves only the run), otherwise the backends of
 * that database, its parallel workers and the server's writers (a shared server serves others).
 */
export function serverPids(pidFile: string, database?: string): number[] {
  const root = Number(readFileSync(pidFile, 'utf8').split('\n')[0]!.trim())
  const pids = [root]
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== root) continue
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (!database || cmd.includes(` ${database} `) || /parallel worker|checkpointer|background writer|walwriter/.test(cmd)) pids.push(Number(entry))
    } catch {
      // gone
    }
  }
  return pids
}

/** CPU seconds of the server's processes (pids looked up again each sample) and of the machine. */
export function startServerSampler(pids: () => number[]) {
  const seen = new Map<number, number>()
  let server = 0
  const start = machine()
  const take = () => {
    for (const pid of pids()) {
      const now = cpuOf(pid)
      const before = seen.get(pid)
      if (before !== undefined) server += Math.max(0, now - before)
      seen.set(pid, now)
    }
  }
  take()
  const timer = setInterval(take, 250)
  return {
    stop() {
      clearInterval(timer)
      take()
      const end = machine()
      const r = (n: number) => Math.round(n * 10) / 10
      return { serverCpuS: r(server), machineBusyS: r(end.busy - start.busy), iowaitS: r(end.iowait - start.iowait), idleS: r(end.idle - start.idle) }
    },
  }
}

const MY_STATUS = ['Innodb_os_log_fsyncs', 'Innodb_data_fsyncs', 'Innodb_os_log_written', 'Innodb_data_written', 'Innodb_buffer_pool_reads',
  'Innodb_buffer_pool_wait_free', 'Innodb_log_waits', 'Binlog_bytes_written', 'Created_tmp_disk_tables']
const MY_SETTINGS = ['innodb_buffer_pool_size', 'innodb_log_file_size', 'innodb_flush_log_at_trx_commit', 'innodb_doublewrite', 'log_bin', 'sync_binlog',
  'innodb_flush_method', 'innodb_io_capacity', 'innodb_change_buffering', 'innodb_adaptive_hash_index', 'innodb_sort_buffer_size', 'tmp_table_size']
const PG_SETTINGS = ['shared_buffers', 'maintenance_work_mem', 'work_mem', 'max_wal_size', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level',
  'max_parallel_maintenance_workers', 'wal_buffers', 'effective_cache_size', 'checkpoint_timeout']

/** Counters (numbers) or, with `settings`, the settings that matter here (as the server prints them). */
export async function serverCounters(driver: Driver, endpoint: Endpoint, options: { settings?: boolean } = {}): Promise<Record<string, number>> {
  void driver
  if (endpoint.engine === 'mysql') {
    const conn = await mysql.createConnection({ host: endpoint.host, port: endpoint.port, user: endpoint.user, database: endpoint.database })
    try {
      const names = options.settings ? MY_SETTINGS : MY_STATUS
      const [rows] = await conn.query(options.settings ? 'SHOW GLOBAL VARIABLES' : 'SHOW GLOBAL STATUS')
      const all = Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name.toLowerCase(), r.Value]))
      return Object.fromEntries(names.map((n) => [n, options.settings ? all[n.toLowerCase()] : Number(all[n.toLowerCase()] ?? 0)])) as Record<string, number>
    } finally {
      await conn.end()
    }
  }
  const client = new pg.Client({ host: endpoint.host, port: endpoint.port, user: endpoint.user, database: endpoint.database })
  await client.connect()
  try {
    if (options.settings) {
      const { rows } = await client.query('SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)', [PG_SETTINGS])
      return Object.fromEntries(rows.map((r) => [r.name, `${r.setting}${r.unit ? ` ${r.unit}` : ''}`])) as unknown as Record<string, number>
    }
    const { rows: [w] } = await client.query('SELECT wal_bytes::float8 AS wal_bytes, wal_sync, wal_write, wal_fpi, wal_buffers_full FROM pg_stat_wal')
    const { rows: [b] } = await client.query('SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend, buffers_backend_fsync FROM pg_stat_bgwriter')
    return Object.fromEntries(Object.entries({ ...w, ...b }).map(([k, v]) => [k, Number(v)]))
  } finally {
    await client.end()
  }
}
