import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { pgConnect, pgConnectMaintenance, quoteIdent } from './postgres-connect.ts'
import type { PostgresSession } from './postgres-session.ts'
import type { SwapSide } from '../driver.ts'
import { createMissingRoles, databasePropertiesSql, readDatabaseProperties, rolesNamedBy } from './postgres-database-like.ts'

export async function databaseExists(server: Endpoint, name: string): Promise<boolean> {
  const client = await pgConnectMaintenance(server)
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1
  } finally {
    await client.end()
  }
}

/**
 * CREATE DATABASE from template0 with the encoding, collation and owner of `like`, then its
 * database-level settings, role settings, comment and grants (postgres-database-like.ts), so a
 * shadow copy can stand in for the live database.
 */
export async function createDatabase(server: Endpoint, name: string, like?: Endpoint): Promise<void> {
  const client = await pgConnectMaintenance(server, [name])
  try {
    if (!like) {
      await client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8'`)
      return
    }
    const source = await pgConnect(like)
    try {
      const { rows: [db] } = await source.query(`
        SELECT pg_encoding_to_char(encoding) AS encoding, datcollate, datctype, pg_get_userbyid(datdba) AS owner
          FROM pg_database WHERE datname = current_database()`)
      const properties = await readDatabaseProperties(source)
      // A fresh staging server has none of production's roles yet: the owner and grants name them.
      await createMissingRoles(client, [db.owner, ...rolesNamedBy(properties)])
      await createLike(client, name, db)
      for (const statement of databasePropertiesSql(name, properties)) await client.query(statement)
    } finally {
      await source.end()
    }
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') {
      throw new DrydockError('DD_DATABASE_EXISTS', `database "${name}" already exists on ${server.host}:${server.port}`, {
        hint: 'a previous run left it: resume that run, or drop the database if it is not needed',
      }, { cause: error })
    }
    throw error
  } finally {
    await client.end()
  }
}

async function createLike(
  client: import('pg').Client, name: string, db: { encoding: string; datcollate: string; datctype: string; owner: string },
): Promise<void> {
  const literal = (s: string) => `'${s.replace(/'/g, "''")}'`
  const base = `CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING ${literal(db.encoding)}`
  try {
    await client.query(`${base} LC_COLLATE ${literal(db.datcollate)} LC_CTYPE ${literal(db.datctype)} OWNER ${quoteIdent(db.owner)}`)
  } catch (error) {
    const code = (error as { code?: string }).code
    // A staging server may lack production's locale or owner role; the data stays exact either way.
    if (code !== '22023' && code !== '42704' && code !== '42501') throw error
    await client.query(base)
  }
}

export async function dropDatabase(server: Endpoint, name: string): Promise<void> {
  const client = await pgConnectMaintenance(server, [name])
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`)
  } finally {
    await client.end()
  }
}

export async function isEmpty(ep: Endpoint): Promise<boolean> {
  const client = await pgConnect(ep)
  try {
    const { rows } = await client.query(`
      SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'`)
    return rows[0].n === 0
  } finally {
    await client.end()
  }
}

/**
 * Roles that own or are granted anything on the source must exist on staging for the schema
 * (with its owners and grants) to apply; they are created there without login.
 */
export async function prepareStaging(source: PostgresSession, staging: Endpoint): Promise<void> {
  const { rows } = await source.client.query(`SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1`)
  const client = await pgConnectMaintenance(staging)
  try {
    const existing = new Set((await client.query('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname))
    const missing = rows.map((r) => r.rolname as string).filter((r) => !existing.has(r))
    for (const role of missing) {
      try {
        await client.query(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`)
      } catch (error) {
        throw new DrydockError('DD_STAGING_ROLES', `staging ${describeEndpoint(staging)} lacks roles of the source (${missing.join(', ')}) and drydock cannot create them: ${(error as Error).message}`, {
          stage: 'staging', hint: 'create those roles on the staging server, or use staging: "ephemeral"',
        }, { cause: error })
      }
    }
  } finally {
    await client.end()
  }
}

/**
 * Sessions on the databases, waiting up to five seconds for ones that are closing: a backend
 * leaves pg_stat_activity a moment after its client (drydock's own workers included) hung up.
 */
async function sessionsStillThere(client: import('pg').Client, databases: string[]) {
  const deadline = Date.now() + 5000
  for (;;) {
    const { rows } = await client.query(`
      SELECT pid, usename, application_name, datname, coalesce(client_addr::text, 'local') AS addr
        FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()`, [databases])
    if (rows.length === 0 || Date.now() > deadline) return rows
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/**
 * The swap: two renames in one transaction, so clients see the old database or the new one,
 * never neither. PostgreSQL refuses to rename a database that has sessions: stop the app first.
 */
export async function swapDatabases(live: Endpoint, shadow: string, backup: string): Promise<void> {
  const client = await pgConnectMaintenance(live, [live.database, shadow, backup])
  try {
    const sessions = await sessionsStillThere(client, [live.database, shadow])
    if (sessions.length > 0) {
      const list = sessions.map((s) => `pid ${s.pid} (${s.usename}@${s.addr}, ${s.application_name || 'no name'}, db ${s.datname})`).join('; ')
      throw new DrydockError('DD_SWAP_BUSY', `cannot swap: ${sessions.length} session(s) are connected: ${list}`, {
        stage: 'swap', hint: 'stop the application servers and other clients (it is a maintenance window), then rerun with --resume',
      })
    }
    await client.query('BEGIN')
    try {
      await client.query(`ALTER DATABASE ${quoteIdent(live.database)} RENAME TO ${quoteIdent(backup)}`)
      await client.query(`ALTER DATABASE ${quoteIdent(shadow)} RENAME TO ${quoteIdent(live.database)}`)
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw new DrydockError('DD_SWAP_FAILED', `swap of ${live.database} failed and was rolled back: ${(error as Error).message}`, {
        stage: 'swap', hint: 'production is unchanged; fix the cause and rerun with --resume',
      }, { cause: error })
    }
  } finally {
    await client.end()
  }
}

/** The two renames commit together: the backup name exists only once they did. */
export async function swapSide(live: Endpoint, _shadow: string, backup: string): Promise<SwapSide> {
  return { swapped: await databaseExists(live, backup) }
}
