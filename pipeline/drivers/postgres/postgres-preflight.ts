/**
 * PostgreSQL's own pre-flight checks (pipeline/safety/preflight): what the account may do, whether
 * a snapshot can be exported, whether ephemeral staging can start here. Reads only: the
 * snapshot test is a READ ONLY transaction that is rolled back.
 */
import type pg from 'pg'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import type { PreflightCheck, PreflightNeeds } from '../driver.ts'
import { serviceUser } from '../../util/service-user.ts'
import { pgConnect, pgConnectMaintenance, quoteIdent } from './postgres-connect.ts'
import { findServerBinaries } from './postgres-ephemeral.ts'
import type { ErrorCode } from '../../error-codes.ts'

const ok = (id: string, title: string, detail: string): PreflightCheck => ({ id, title, status: 'ok', detail })
const bad = (status: 'warn' | 'fail', id: string, title: string, detail: string, code: ErrorCode, hint: string): PreflightCheck =>
  ({ id, title, status, detail, code, hint })

const UNREADABLE_SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm') AND c.relpersistence <> 't'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
   AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
   AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'))
 ORDER BY 1, 2`

const ROLE_SQL = `
SELECT r.rolname AS user, r.rolsuper AS super, r.rolcreatedb AS createdb, r.rolcreaterole AS createrole,
       pg_get_userbyid(d.datdba) AS owner, pg_has_role(current_user, d.datdba, 'MEMBER') AS owns,
       current_setting('track_counts') AS track_counts,
       current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)::int AS free_slots
  FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`

async function withClient<T>(connect: () => Promise<pg.Client>, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect()
  try {
    return await work(client)
  } finally {
    await client.end().catch(() => {})
  }
}

function grantReadHint(user: string, schemas: string[], major: number): string {
  const grants = schemas.map((s) => `GRANT USAGE ON SCHEMA ${quoteIdent(s)} TO ${quoteIdent(user)}; GRANT SELECT ON ALL TABLES IN SCHEMA ${quoteIdent(s)} TO ${quoteIdent(user)}; GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${quoteIdent(s)} TO ${quoteIdent(user)};`)
  return `grant them for the upgrade: ${grants.join(' ')}${major >= 14 ? ` (or GRANT pg_read_all_data TO ${quoteIdent(user)})` : ''}`
}

/** CREATEDB (or superuser) on a server where drydock creates a database. */
async function createdbCheck(ep: Endpoint, id: string, what: string): Promise<PreflightCheck> {
  const title = `may create ${what}`
  return withClient(() => pgConnectMaintenance(ep), async (c) => {
    const { rows: [r] } = await c.query('SELECT rolsuper OR rolcreatedb AS may FROM pg_roles WHERE rolname = current_user')
    return r.may
      ? ok(id, title, `user "${ep.user}" has CREATEDB on ${ep.host}:${ep.port}`)
      : bad('fail', id, title, `user "${ep.user}" may not create databases on ${ep.host}:${ep.port}, and drydock creates ${what} there`,
        'DD_PREFLIGHT_PRIVILEGE', `grant it for the upgrade: ALTER ROLE ${quoteIdent(ep.user)} CREATEDB`)
  })
}

export async function postgresPreflightChecks(needs: PreflightNeeds): Promise<PreflightCheck[]> {
  const { source } = needs
  const checks: PreflightCheck[] = []
  await withClient(() => pgConnect(source), async (c) => {
    const { rows: [role] } = await c.query(ROLE_SQL)
    const { rows: unreadable } = await c.query(UNREADABLE_SQL, [needs.schemas ?? null])
    if (unreadable.length === 0) {
      checks.push(ok('source.privileges.read', 'may read every table and sequence', `user "${source.user}" may read every table and sequence of ${source.database}`))
    } else {
      const list = unreadable.slice(0, 10).map((r) => `${r.schema}.${r.name}`).join(', ') + (unreadable.length > 10 ? `, … (${unreadable.length} in all)` : '')
      checks.push(bad('fail', 'source.privileges.read', 'may read every table and sequence',
        `user "${source.user}" may not read ${unreadable.length} table(s) or sequence(s) of ${source.database}: ${list}`,
        'DD_PREFLIGHT_PRIVILEGE', grantReadHint(source.user, [...new Set(unreadable.map((r) => r.schema as string))], needs.sourceInfo.major)))
    }
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY')
      await c.query('SELECT pg_export_snapshot()')
      checks.push(ok('source.snapshot', 'can export a snapshot', 'pg_export_snapshot() works: every worker will read the same instant'))
    } catch (error) {
      checks.push(bad('fail', 'source.snapshot', 'can export a snapshot', `pg_export_snapshot() fails on ${describeEndpoint(source)}: ${(error as Error).message}`,
        'DD_PREFLIGHT_SNAPSHOT', 'drydock needs an exported snapshot for a consistent dump: use the primary, or a standby of PostgreSQL 10 or newer'))
    } finally {
      await c.query('ROLLBACK').catch(() => {})
    }
    if (needs.target === 'in-place') {
      checks.push(role.super || role.createdb
        ? ok('source.privileges.createdb', 'may create the shadow database', `user "${source.user}" has ${role.super ? 'superuser' : 'CREATEDB'}`)
        : bad('fail', 'source.privileges.createdb', 'may create the shadow database',
          `user "${source.user}" may not create databases, and the migrated copy is loaded into a new database beside ${source.database}`,
          'DD_PREFLIGHT_PRIVILEGE', `grant it for the upgrade: ALTER ROLE ${quoteIdent(source.user)} CREATEDB`))
      checks.push(role.super || role.owns
        ? ok('source.privileges.owner', 'may rename the live database', `user "${source.user}" ${role.super ? 'is a superuser' : `owns ${source.database} (through "${role.owner}")`}`)
        : bad('fail', 'source.privileges.owner', 'may rename the live database',
          `user "${source.user}" does not own database "${source.database}" (its owner is "${role.owner}"), and the swap renames it`,
          'DD_PREFLIGHT_PRIVILEGE', `run drydock as "${role.owner}" or a superuser, or GRANT ${quoteIdent(role.owner)} TO ${quoteIdent(source.user)}`))
    }
    checks.push(role.track_counts === 'on'
      ? ok('source.track-counts', 'write counters for the fence', 'track_counts is on')
      : bad('warn', 'source.track-counts', 'write counters for the fence', 'track_counts is off: the write fence cannot use statistics and falls back to checksums before the swap',
        'DD_PREFLIGHT_SETTING', 'turn it on (ALTER SYSTEM SET track_counts = on; SELECT pg_reload_conf()) for a fast write fence'))
    const needed = needs.jobs + 3
    checks.push(role.free_slots >= needed
      ? ok('source.connections', 'free connection slots', `${role.free_slots} free, the run opens up to ${needed}`)
      : bad('warn', 'source.connections', 'free connection slots', `${role.free_slots} connection slot(s) free on ${source.host}:${source.port}, the run opens up to ${needed}`,
        'DD_PREFLIGHT_CONNECTIONS', 'lower --jobs, or stop other clients (the application is stopped for the window anyway)'))
  })

  if (needs.staging === 'ephemeral') {
    const major = needs.sourceInfo.major
    const binaries = findServerBinaries(major)
    if (!binaries) {
      checks.push(bad('fail', 'staging.binaries', 'ephemeral staging can start', `no PostgreSQL ${major} server binaries found for ephemeral staging`,
        'DD_STAGING_BINARIES_MISSING', `install them ("apt-get install postgresql-${major}"), or set staging to a database URL on a PostgreSQL ${major} server`))
    } else if (process.getuid?.() === 0 && !serviceUser(['postgres', 'nobody'])) {
      checks.push(bad('fail', 'staging.binaries', 'ephemeral staging can start', 'PostgreSQL will not run as root and no "postgres" user exists to run it',
        'DD_STAGING_USER_MISSING', 'create a system user "postgres", or run drydock as an ordinary user'))
    } else {
      checks.push(ok('staging.binaries', 'ephemeral staging can start', `PostgreSQL ${binaries.major} server binaries in ${binaries.folder}`))
    }
  } else {
    const staging = needs.staging
    const exists = await withClient(() => pgConnectMaintenance(staging), async (c) =>
      (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [staging.database])).rowCount === 1)
    if (!exists) checks.push(await createdbCheck(staging, 'staging.privileges.createdb', `the staging database ${staging.database}`))
  }
  if (needs.target !== 'in-place') {
    const target = needs.target
    const exists = await withClient(() => pgConnectMaintenance(target), async (c) =>
      (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database])).rowCount === 1)
    if (!exists) checks.push(await createdbCheck(target, 'target.privileges.createdb', `the target database ${target.database}`))
  }
  if (needs.freeNames.length > 0) {
    const taken = await withClient(() => pgConnectMaintenance(source), async (c) =>
      (await c.query('SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY 1', [needs.freeNames])).rows.map((r) => r.datname as string))
    checks.push(taken.length === 0
      ? ok('source.names', 'shadow and backup names are free', needs.freeNames.join(', '))
      : bad('fail', 'source.names', 'shadow and backup names are free', `database(s) ${taken.join(', ')} already exist on ${source.host}:${source.port}`,
        'DD_PREFLIGHT_NAME_TAKEN', 'an earlier run left them: resume that run, or drop them if they are not needed'))
  }
  return checks
}
