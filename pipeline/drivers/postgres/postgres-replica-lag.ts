import type pg from 'pg'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { formatBytes } from '../../util/files.ts'
import type { ReplicaLag } from '../driver.ts'
import { pgConnect } from './postgres-connect.ts'

/** The primary's WAL position as drydock saw it at a moment (ms since the epoch). */
export interface WalSample {
  readonly at: number
  readonly lsn: bigint
}

/** Per primary server (`host:port`), the positions seen at each poll (at most one per distinct LSN). */
export type WalHistories = Map<string, WalSample[]>

const MAX_SAMPLES = 2000

export function parseLsn(text: string): bigint {
  const [hi = '0', lo = '0'] = text.split('/')
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`)
}

/**
 * Seconds since the primary's WAL first went past `replayed`, from drydock's own samples: 0 when
 * the standby has replayed everything sampled. `replay_lag` alone is not enough: it is NULL once a
 * standby was idle and caught up, until its next reply accounts for WAL written since, and it
 * moves only with the standby's replies (every wal_receiver_status_interval, 10 s by default).
 * The larger of the two counts.
 */
export function lagFromSamples(samples: readonly WalSample[], replayed: bigint, now: number): number {
  const latest = samples.at(-1)
  if (!latest || replayed >= latest.lsn) return 0
  const passed = samples.find((s) => s.lsn > replayed) ?? latest
  return Math.max(0, (now - passed.at) / 1000)
}

const STANDBYS_SQL = `
  SELECT r.application_name AS name, host(r.client_addr) AS addr, r.state, r.replay_lsn::text AS replay_lsn,
         extract(epoch FROM r.replay_lag)::float8 AS replay_lag
    FROM pg_stat_replication r
    LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
   WHERE coalesce(s.slot_type, 'physical') = 'physical' AND r.state IS DISTINCT FROM 'backup'
   ORDER BY r.application_name, r.client_addr, r.client_port`

/**
 * Replication lag behind `primary`: of each standby in `replicas` (read on the standby), or
 * with none given, of every physical standby streaming from the primary (pg_stat_replication;
 * logical consumers and running base backups are left out).
 */
export async function postgresReplicaLag(histories: WalHistories, primary: Endpoint, replicas: readonly Endpoint[]): Promise<ReplicaLag[]> {
  const client = await pgConnect(primary)
  let samples: WalSample[]
  try {
    samples = await sample(client, primary, histories)
    if (replicas.length === 0) return await streamingStandbys(client, primary, samples)
  } finally {
    await client.end()
  }
  return Promise.all(replicas.map((replica) => standbyLag(replica, samples)))
}

async function sample(client: pg.Client, primary: Endpoint, histories: WalHistories): Promise<WalSample[]> {
  let lsn: bigint
  try {
    lsn = parseLsn((await client.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn)
  } catch (error) {
    throw new DrydockError('DD_THROTTLE_NOT_PRIMARY', `${describeEndpoint(primary)} is not a primary: ${(error as Error).message}`, {
      hint: 'replica lag is read against the server drydock loads into',
    }, { cause: error })
  }
  const key = `${primary.host}:${primary.port}`
  const samples = histories.get(key) ?? []
  histories.set(key, samples)
  if (!samples.length || lsn > samples.at(-1)!.lsn) samples.push({ at: Date.now(), lsn })
  if (samples.length > MAX_SAMPLES) samples.shift()
  return samples
}

async function streamingStandbys(client: pg.Client, primary: Endpoint, samples: readonly WalSample[]): Promise<ReplicaLag[]> {
  const { rows } = await client.query(STANDBYS_SQL)
  const now = Date.now()
  const current = samples.at(-1)!.lsn
  return rows.map((row): ReplicaLag => {
    const replica = `standby "${row.name}" at ${row.addr ?? 'local socket'}`
    if (row.state === null) {
      throw new DrydockError('DD_THROTTLE_PRIVILEGE', `user "${primary.user}" may not read standby positions in pg_stat_replication on ${describeEndpoint(primary)}`, {
        hint: `GRANT pg_monitor TO "${primary.user}", or list the standbys' URLs in throttle.replicas`,
      })
    }
    if (row.replay_lsn === null) return { replica, seconds: null, note: `state ${row.state}, no replay position yet` }
    const replayed = parseLsn(row.replay_lsn)
    if (replayed >= current) return { replica, seconds: 0 }
    const seconds = Math.max(lagFromSamples(samples, replayed, now), row.replay_lag ?? 0)
    return { replica, seconds, note: `${formatBytes(Number(current - replayed))} of WAL not replayed` }
  })
}

async function standbyLag(replica: Endpoint, samples: readonly WalSample[]): Promise<ReplicaLag> {
  const name = describeEndpoint(replica)
  const client = await pgConnect(replica)
  try {
    const { rows: [row] } = await client.query(`SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed,
      CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS paused`)
    if (!row.standby) {
      throw new DrydockError('DD_THROTTLE_NOT_A_REPLICA', `${name} is not a standby (pg_is_in_recovery() is false)`, {
        hint: 'list only standbys of the server drydock loads into in throttle.replicas',
      })
    }
    const paused = row.paused ? 'replay paused (pg_wal_replay_pause)' : undefined
    if (row.replayed === null) return { replica: name, seconds: null, note: paused ?? 'nothing replayed yet' }
    const replayed = parseLsn(row.replayed)
    const current = samples.at(-1)!.lsn
    if (replayed >= current) return { replica: name, seconds: 0 }
    const behind = `${formatBytes(Number(current - replayed))} of WAL not replayed`
    return { replica: name, seconds: lagFromSamples(samples, replayed, Date.now()), note: paused ? `${paused}, ${behind}` : behind }
  } finally {
    await client.end()
  }
}
