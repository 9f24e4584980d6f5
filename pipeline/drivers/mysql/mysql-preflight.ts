/**
 * MySQL/MariaDB's own pre-flight checks (pipeline/safety/preflight): the account's privileges (from
 * information_schema.USER_PRIVILEGES and SCHEMA_PRIVILEGES, patterns included), local_infile
 * where rows are loaded, ephemeral staging binaries, free names. Reads only.
 */
import { describeEndpoint, type Endpoint, sameServer } from '../../config/endpoint.ts'
import type { PreflightCheck, PreflightNeeds } from '../driver.ts'
import { type MysqlConn, type MysqlLink, quoteIdent } from './mysql-connect.ts'
import { findServerBinaries } from './mysql-ephemeral.ts'
import type { ErrorCode } from '../../error-codes.ts'

const ok = (id: string, title: string, detail: string): PreflightCheck => ({ id, title, status: 'ok', detail })
const bad = (status: 'warn' | 'fail', id: string, title: string, detail: string, code: ErrorCode, hint: string): PreflightCheck =>
  ({ id, title, status, detail, code, hint })

interface Grants {
  readonly account: string
  readonly global: ReadonlySet<string>
  readonly schemas: readonly { pattern: RegExp; privileges: ReadonlySet<string> }[]
  /** Roles may grant more than the account's own rows show. */
  readonly roles: boolean
}

/** A database pattern of a GRANT (`db\_%`) as a regular expression. */
export function grantPattern(pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    else if (ch === '%') re += '.*'
    else if (ch === '_') re += '.'
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, 's')
}

async function readGrants(conn: MysqlConn): Promise<Grants> {
  const [who] = await conn.query('SELECT CURRENT_USER() AS account')
  const account = who!.account!
  const grantees = [accountSql(account)]
  const [role] = await conn.query('SELECT CURRENT_ROLE() AS role').catch(() => [{ role: null }])
  if (role?.role && role.role !== 'NONE') grantees.push(...role.role.split(',').map((r) => `'${r.replace(/`/g, '').replace(/@.*$/, '')}'`))
  const global = await conn.query('SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE IN (?)', [grantees])
  const schema = await conn.query('SELECT TABLE_SCHEMA AS db, PRIVILEGE_TYPE AS p FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE IN (?)', [grantees])
  const applicable = await conn.query('SELECT COUNT(*) AS n FROM information_schema.APPLICABLE_ROLES').catch(() => [{ n: '0' }])
  const byDb = new Map<string, Set<string>>()
  for (const r of schema) byDb.set(r.db!, (byDb.get(r.db!) ?? new Set()).add(r.p!))
  return {
    account,
    global: new Set(global.map((r) => r.p!)),
    schemas: [...byDb].map(([db, privileges]) => ({ pattern: grantPattern(db), privileges })),
    roles: Number(applicable[0]?.n ?? 0) > 0,
  }
}

/** `'user'@'host'` as GRANT wants it. */
function accountSql(account: string): string {
  const at = account.lastIndexOf('@')
  return `'${account.slice(0, at)}'@'${account.slice(at + 1)}'`
}

function missing(grants: Grants, database: string | null, wanted: readonly string[]): string[] {
  return wanted.filter((p) => !grants.global.has(p) && !(database !== null && grants.schemas.some((s) => s.pattern.test(database) && s.privileges.has(p))))
}

function privilegeCheck(grants: Grants, id: string, title: string, database: string | null, wanted: readonly string[], grantOn: string, why: string): PreflightCheck {
  const lacking = missing(grants, database, wanted)
  if (lacking.length === 0) return ok(id, title, `${grants.account} has ${wanted.join(', ')}`)
  return bad(grants.roles ? 'warn' : 'fail', id, title,
    `${grants.account} lacks ${lacking.join(', ')}${database === null ? '' : ` on ${database}`}: ${why}${grants.roles ? ' (roles were not evaluated: it may have them through a role)' : ''}`,
    'DD_PREFLIGHT_PRIVILEGE', `grant them for the upgrade: GRANT ${lacking.join(', ')} ON ${grantOn} TO ${accountSql(grants.account)}`)
}

/** `db\_dd\_%`: a GRANT pattern for every name drydock derives from `database`. */
function derivedPattern(database: string): string {
  return `${quoteIdent(`${database.replace(/[\\_%]/g, '\\$&')}\\_dd\\_%`)}.*`
}

async function localInfileCheck(link: MysqlLink, ep: Endpoint, id: string, what: string): Promise<PreflightCheck> {
  const conn = await link.connectServer(ep)
  try {
    const [row] = await conn.query('SELECT @@GLOBAL.local_infile AS v')
    const title = `LOAD DATA LOCAL allowed on ${what}`
    return row?.v === '1'
      ? ok(id, title, `local_infile is on at ${ep.host}:${ep.port}`)
      : bad('fail', id, title, `${ep.host}:${ep.port} refuses LOAD DATA LOCAL INFILE (local_infile is off), and drydock loads ${what} with it`,
        'DD_PREFLIGHT_LOCAL_INFILE', 'enable it on that server for the upgrade: SET GLOBAL local_infile = ON (or local_infile=1 in its config)')
  } finally {
    await conn.close()
  }
}

/**
 * Tables drydock cannot carry exactly (system-versioned: their history) fail; tables of
 * engines without transactions (MyISAM, Aria, …) warn: the snapshot is consistent for them only
 * if nothing writes them, which the write fence proves before the swap.
 */
async function tableKindChecks(conn: MysqlConn, db: string): Promise<PreflightCheck[]> {
  const rows = await conn.query(`
    SELECT t.TABLE_NAME AS name, t.TABLE_TYPE AS type, t.ENGINE AS engine, IFNULL(e.TRANSACTIONS, 'NO') AS transactions
      FROM information_schema.TABLES t LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
     WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY t.TABLE_NAME`)
  const versioned = rows.filter((r) => r.type === 'SYSTEM VERSIONED').map((r) => quoteIdent(r.name!))
  const plain = rows.filter((r) => r.type === 'BASE TABLE' && r.transactions !== 'YES').map((r) => `${quoteIdent(r.name!)} (${r.engine})`)
  return [
    versioned.length === 0
      ? ok('source.versioned', 'no system-versioned tables', 'none')
      : bad('fail', 'source.versioned', 'no system-versioned tables',
        `${db} has system-versioned table(s) ${versioned.join(', ')} (WITH SYSTEM VERSIONING): drydock cannot carry their history rows and period columns exactly, and would lose them`,
        'DD_PREFLIGHT_VERSIONED', `upgrade them in place, or take the history out first (ALTER TABLE … DROP SYSTEM VERSIONING, after saving the history) and add it back afterwards`),
    plain.length === 0
      ? ok('source.transactional', 'every table is transactional', 'all tables are of engines with transactions')
      : bad('warn', 'source.transactional', 'every table is transactional',
        `non-transactional table(s) ${plain.join(', ')}: the snapshot is consistent for them only if nothing writes them during the run; the write fence proves before the swap that they did not change`,
        'DD_PREFLIGHT_NON_TRANSACTIONAL', 'keep every writer stopped for the whole run (a write to them stops the run at the swap with DD_WRITE_FENCE), or convert them to InnoDB first'),
  ]
}

export async function mysqlPreflightChecks(link: MysqlLink, needs: PreflightNeeds): Promise<PreflightCheck[]> {
  const { source } = needs
  const db = source.database
  const checks: PreflightCheck[] = []
  const conn = await link.connect(source)
  try {
    const grants = await readGrants(conn)
    const [objects] = await conn.query(`SELECT
        (SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()) AS views,
        (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()) AS triggers`)
    const read = ['SELECT', ...(Number(objects!.views) > 0 ? ['SHOW VIEW'] : []), ...(Number(objects!.triggers) > 0 ? ['TRIGGER'] : [])]
    checks.push(privilegeCheck(grants, 'source.privileges.read', 'may read every table, view and trigger', db, read, `${quoteIdent(db)}.*`,
      'the dump reads every table and the schema copy every view and trigger'))
    checks.push(privilegeCheck(grants, 'source.privileges.reload', 'may take the snapshot lock', null, ['RELOAD'], '*.*',
      'the consistent snapshot holds FLUSH TABLES WITH READ LOCK for a few milliseconds'))
    const process = missing(grants, null, ['PROCESS'])
    checks.push(process.length === 0
      ? ok('source.privileges.process', 'may see other sessions', `${grants.account} has PROCESS`)
      : bad('warn', 'source.privileges.process', 'may see other sessions',
        `${grants.account} lacks PROCESS: the swap cannot see other sessions on ${db} (it refuses to swap while the application is connected), and the write fence cannot see open transactions or table ids`,
        'DD_PREFLIGHT_PRIVILEGE', `grant it for the upgrade: GRANT PROCESS ON *.* TO ${accountSql(grants.account)}`))
    if (needs.target === 'in-place') {
      const example = needs.freeNames[0] ?? `${db}_dd_shadow_example`
      checks.push(privilegeCheck(grants, 'source.privileges.shadow', 'may build the shadow and backup databases', example,
        ['CREATE', 'DROP', 'ALTER', 'SELECT', 'INSERT', 'DELETE', 'INDEX', 'REFERENCES', 'CREATE VIEW', 'SHOW VIEW', 'TRIGGER', 'CREATE ROUTINE', 'ALTER ROUTINE'],
        derivedPattern(db), `the migrated copy is loaded into ${example} beside the live database, and the old tables move to a backup database`))
      checks.push(privilegeCheck(grants, 'source.privileges.swap', 'may swap the live database', db,
        ['ALTER', 'DROP', 'CREATE', 'INSERT', 'CREATE VIEW', 'TRIGGER', 'CREATE ROUTINE', 'ALTER ROUTINE'], `${quoteIdent(db)}.*`,
        'the swap renames every table of the live database and recreates its views, triggers and routines'))
      checks.push(await localInfileCheck(link, source, 'source.local-infile', 'the shadow database'))
    }
    checks.push(...await tableKindChecks(conn, db))
    const [status] = await conn.query("SELECT @@GLOBAL.max_connections - (SELECT COUNT(*) FROM information_schema.PROCESSLIST) AS free, @@GLOBAL.log_bin AS log_bin")
    const needed = needs.jobs + 3
    checks.push(Number(status!.free) >= needed
      ? ok('source.connections', 'free connection slots', `${status!.free} free, the run opens up to ${needed}`)
      : bad('warn', 'source.connections', 'free connection slots', `about ${status!.free} connection slot(s) free on ${source.host}:${source.port}, the run opens up to ${needed}`,
        'DD_PREFLIGHT_CONNECTIONS', 'lower --jobs, or stop other clients (the application is stopped for the window anyway)'))
    if (status!.log_bin === '1' && needs.target === 'in-place') {
      const direct = (needs.replicas ?? []).filter((r) => r.load === 'direct')
      if (direct.length === 0 || direct.length < (needs.replicas ?? []).length) {
        checks.push(ok('source.binlog', 'binary log', 'the binary log is on: the shadow load is replicated, and replicas follow the swap'))
      } else {
        checks.push(binlogRightsCheck(grants, conn.flavor.mariadb, 'source.binlog', 'the primary', false))
        for (const [i, r] of direct.entries()) checks.push(await replicaCheck(link, r.endpoint, i))
      }
    }
  } finally {
    await conn.close()
  }

  if (needs.staging === 'ephemeral') {
    const found = findServerBinaries()
    const major = needs.sourceInfo.major
    const name = `${Math.floor(major)}.${Math.round((major % 1) * 100)}`
    if (!found || found.major !== major) {
      checks.push(bad('fail', 'staging.binaries', 'ephemeral staging can start',
        `no ${major >= 10 ? 'MariaDB' : 'MySQL'} ${name} server binaries found for ephemeral staging${found ? ` (found ${found.version} at ${found.server})` : ''}`,
        'DD_STAGING_BINARIES_MISSING', 'install the server of production\'s version ("apt-get install mariadb-server", or mysql-server for MySQL), or set staging to a database URL'))
    } else {
      checks.push(ok('staging.binaries', 'ephemeral staging can start', `${found.version} at ${found.server}`))
    }
  } else if (!sameServer(needs.staging, source) || needs.target !== 'in-place') {
    checks.push(await localInfileCheck(link, needs.staging, 'staging.local-infile', `staging (${describeEndpoint(needs.staging)})`))
  }
  if (needs.target !== 'in-place') checks.push(await localInfileCheck(link, needs.target, 'target.local-infile', `the target (${describeEndpoint(needs.target)})`))
  if (needs.freeNames.length > 0) {
    const server = await link.connectServer(source)
    try {
      const taken = (await server.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?) ORDER BY 1', [needs.freeNames])).map((r) => r.name!)
      checks.push(taken.length === 0
        ? ok('source.names', 'shadow and backup names are free', needs.freeNames.join(', '))
        : bad('fail', 'source.names', 'shadow and backup names are free', `database(s) ${taken.join(', ')} already exist on ${source.host}:${source.port}`,
          'DD_PREFLIGHT_NAME_TAKEN', 'an earlier run left them: resume that run, or drop them if they are not needed'))
    } finally {
      await server.close()
    }
  }
  return checks
}

const SKIP_LOG = { mariadb: ['BINLOG ADMIN', 'SUPER'], mysql: ['SYSTEM_VARIABLES_ADMIN', 'SUPER'] }
const WRITE_READ_ONLY = { mariadb: ['READ_ONLY ADMIN'], mysql: ['CONNECTION_ADMIN', 'SUPER'] }

/** May the account turn off the binary log for its sessions (and, on a read_only replica, write)? A warn: the load then goes through the log. */
function binlogRightsCheck(grants: Grants, mariadb: boolean, id: string, what: string, readOnly: boolean): PreflightCheck {
  const title = `may load ${what} without the binary log`
  const kind = mariadb ? 'mariadb' : 'mysql'
  const lacking = [SKIP_LOG[kind], ...(readOnly ? [WRITE_READ_ONLY[kind]] : [])].filter((any) => !any.some((p) => grants.global.has(p))).map((any) => any[0]!)
  if (lacking.length === 0) return ok(id, title, `${grants.account} may set sql_log_bin${readOnly ? ' and write despite read_only' : ''}: no row of the copy is replicated`)
  return bad('warn', id, title, `${grants.account} lacks ${lacking.join(', ')} on ${what}${readOnly ? ' (read_only is on)' : ''}: the load back will go through the binary log to the replicas instead, under the lag throttle${grants.roles ? ' (roles were not evaluated)' : ''}`,
    'DD_PREFLIGHT_PRIVILEGE', `grant it for the upgrade: GRANT ${lacking.join(', ')} ON *.* TO ${accountSql(grants.account)}, or set load: 'replicated'`)
}

/** A replica listed for a direct load: reachable, a replica, and the account's rights there. Reads only. */
async function replicaCheck(link: MysqlLink, replica: Endpoint, index: number): Promise<PreflightCheck> {
  const id = `replicas[${index}].direct`
  let conn: MysqlConn
  try {
    conn = await link.connectServer(replica)
  } catch (error) {
    return bad('warn', id, `may load ${describeEndpoint(replica)} directly`, `cannot connect: ${(error as Error).message}; the load back will go through the binary log, and the lag throttle cannot watch it`,
      'DD_PREFLIGHT_REPLICA', 'fix the URL in replicas (or remove the entry)')
  }
  try {
    const [row] = await conn.query('SELECT @@GLOBAL.read_only AS ro')
    const status = await conn.query(conn.flavor.mariadb ? 'SHOW ALL SLAVES STATUS' : 'SHOW REPLICA STATUS').catch(() => [])
    if (status.length === 0) {
      return bad('warn', id, `may load ${describeEndpoint(replica)} directly`, `${describeEndpoint(replica)} shows no replication status (not a replica, or the account lacks ${conn.flavor.mariadb ? 'SLAVE MONITOR' : 'REPLICATION CLIENT'}): the load back will go through the binary log`,
        'DD_PREFLIGHT_REPLICA', 'list only replicas of the source in replicas, with an account that may read their status')
    }
    return binlogRightsCheck(await readGrants(conn), conn.flavor.mariadb, id, describeEndpoint(replica), row?.ro === '1')
  } finally {
    await conn.close()
  }
}
