/**
 * Write-fence marks on PostgreSQL (pipeline/safety/fence): per table the cumulative statistics
 * counters n_tup_ins, n_tup_upd and n_tup_del (every committed and aborted row write), the
 * relation's oid (DROP + CREATE) and file node (TRUNCATE, VACUUM FULL, CLUSTER, rewriting
 * ALTERs assign a new one). n_live_tup is left out: VACUUM and ANALYZE rewrite it without a write.
 *
 * Counters are not live: a backend adds its counts to shared memory when it goes idle, at
 * most once a second, and otherwise within PGSTAT_IDLE_INTERVAL (10 s) (PG 15+), or when it
 * exits. pg_stat_force_next_flush() only flushes the *calling* backend, so it cannot help
 * here. The reading therefore waits (bounded by `settleMs`) until every other session of the
 * database has been idle for 10.5 s; a session that disconnected has flushed before its
 * socket closed. Before PG 15 an idle session may hold its counts until its next statement:
 * any other session still connected makes the reading uncertain.
 */
import type pg from 'pg'
import type { FenceMarks, FenceReadOptions, TableMarks } from '../../safety/fence/fence-types.ts'
import type { TableRef } from '../driver.ts'
import { NOT_DRYDOCK_SCHEMA } from './postgres-swap-names.ts'

const FLUSH_INTERVAL_S = 10.5

const OTHERS_SQL = `
SELECT pid, state, usename, coalesce(application_name, '') AS app,
       extract(epoch FROM clock_timestamp() - coalesce(state_change, backend_start))::float8 AS quiet_s
  FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
   AND coalesce(application_name, '') <> 'drydock'` // drydock's own sessions there only read

const MARKS_SQL = `
SELECT t.schema, t.name, c.oid::text AS oid, pg_relation_filenode(c.oid)::text AS filenode,
       pg_stat_get_tuples_inserted(c.oid)::text AS ins,
       pg_stat_get_tuples_updated(c.oid)::text AS upd,
       pg_stat_get_tuples_deleted(c.oid)::text AS del
  FROM unnest($1::text[], $2::text[]) AS t(schema, name)
  LEFT JOIN pg_namespace n ON n.nspname = t.schema
  LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name AND c.relkind IN ('r', 'p')`

const ALL_TABLES_SQL = `
SELECT n.nspname || '.' || c.relname AS key
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
   AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[])) AND ${NOT_DRYDOCK_SCHEMA}
 ORDER BY 1`

const STATE_SQL = `
SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at,
       extract(epoch FROM clock_timestamp() - pg_postmaster_start_time())::float8 AS uptime,
       coalesce(pg_stat_get_db_stat_reset_time((SELECT oid FROM pg_database WHERE datname = current_database()))::text, '') AS stats_reset,
       pg_postmaster_start_time()::text AS started,
       current_setting('track_counts') AS track_counts,
       current_setting('server_version_num')::int AS version,
       (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn`

interface Other { pid: number; state: string | null; usename: string; app: string; quiet_s: number }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function describe(o: Other): string {
  return `pid ${o.pid} (${o.usename}${o.app ? `, ${o.app}` : ''}, ${o.state ?? 'unknown'})`
}

export async function pgFenceMarks(client: pg.Client, tables: readonly TableRef[], options: FenceReadOptions): Promise<FenceMarks> {
  const notes: string[] = []
  let uncertain: string | undefined
  const { rows: [first] } = await client.query(STATE_SQL)
  const version = Number(first.version)
  // Wait for sessions whose counts may not have reached shared memory yet.
  const deadline = Date.now() + (options.settleMs ?? 11_000)
  let waited = false
  for (;;) {
    const others = (await client.query(OTHERS_SQL)).rows as Other[]
    const pending = version >= 150000
      ? others.filter((o) => o.state !== 'active' && o.quiet_s < FLUSH_INTERVAL_S)
      : others
    if (pending.length === 0) break
    const wait = version >= 150000 ? Math.max(...pending.map((o) => FLUSH_INTERVAL_S - o.quiet_s)) * 1000 : Number.POSITIVE_INFINITY
    if (Date.now() + wait > deadline) {
      const list = pending.map(describe).join(', ')
      if (options.phase === 'check') {
        uncertain = `other sessions are connected to the database and may hold writes not yet counted: ${list}`
      } else {
        notes.push(`sessions were connected at the fence (${list}): writes they made just before it may be reported as writes after it`)
      }
      break
    }
    waited = true
    await sleep(Math.min(wait + 50, Math.max(0, deadline - Date.now())))
  }
  if (waited) notes.push('waited for other sessions\' statistics to be flushed')
  const active = (await client.query(OTHERS_SQL)).rows as Other[]
  const inTransaction = active.filter((o) => o.state === 'active' || (o.state ?? '').startsWith('idle in transaction'))
  if (options.phase === 'check' && inTransaction.length > 0 && !uncertain) {
    uncertain = `sessions are inside a transaction on the database; their writes are counted only when they commit: ${inTransaction.map(describe).join(', ')}`
  }

  await client.query('SELECT pg_stat_clear_snapshot()')
  const { rows: [state] } = await client.query(STATE_SQL)
  if (state.track_counts !== 'on') {
    uncertain ??= 'track_counts is off: PostgreSQL counts no row writes, so nothing can be proven from statistics'
  }
  const { rows } = await client.query(MARKS_SQL, [tables.map((t) => t.schema), tables.map((t) => t.name)])
  const marks: Record<string, TableMarks> = {}
  for (const r of rows) {
    const key = `${r.schema}.${r.name}`
    marks[key] = r.oid === null
      ? { exists: false, exact: {}, counters: {} }
      : { exists: true, exact: { oid: r.oid, filenode: r.filenode }, counters: { n_tup_ins: r.ins, n_tup_upd: r.upd, n_tup_del: r.del } }
  }
  const { rows: all } = await client.query(ALL_TABLES_SQL, [options.schemas ?? null])
  if (version < 150000) notes.push('before PostgreSQL 15 the statistics collector may drop counts under heavy load (UDP)')
  return {
    engine: 'postgres',
    at: state.at,
    uptimeSeconds: Number(state.uptime),
    epoch: `stats_reset=${state.stats_reset}; started=${state.started}`,
    position: `wal ${state.lsn}`,
    tables: marks,
    allTables: all.map((r) => r.key as string),
    ...(uncertain ? { uncertain } : {}),
    notes,
  }
}
