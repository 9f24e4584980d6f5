import type pg from 'pg'
import { quoteIdent } from './postgres-connect.ts'

/**
 * What a database carries beyond its tables, read from the database `source` is connected to:
 * its ALTER DATABASE … SET settings, ALTER ROLE … IN DATABASE … SET settings, comment and
 * privilege list. pg_dump of one database leaves all of them out (pg_dumpall --globals or
 * --create would write them), so a shadow or staging copy gets them here.
 */
export interface DatabaseProperties {
  readonly settings: readonly string[]
  readonly roleSettings: readonly { role: string; setting: string }[]
  readonly comment: string | null
  /** The source has its own privilege list (not the default, where PUBLIC may connect). */
  readonly explicitAcl: boolean
  readonly grants: readonly { grantee: string; privilege_type: string; is_grantable: boolean }[]
}

export async function readDatabaseProperties(source: pg.Client): Promise<DatabaseProperties> {
  const { rows: settings } = await source.query(`
    SELECT unnest(setconfig) AS setting FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
     WHERE d.datname = current_database() AND s.setrole = 0`)
  const { rows: roleSettings } = await source.query(`
    SELECT pg_get_userbyid(s.setrole) AS role, unnest(s.setconfig) AS setting
      FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
     WHERE d.datname = current_database() AND s.setrole <> 0 ORDER BY 1`)
  const { rows: [db] } = await source.query(`
    SELECT datacl IS NOT NULL AS explicit, shobj_description(oid, 'pg_database') AS comment
      FROM pg_database WHERE datname = current_database()`)
  const { rows: grants } = await source.query(`
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
           a.privilege_type, a.is_grantable
      FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database()`)
  return {
    settings: settings.map((r) => String(r.setting)),
    roleSettings: roleSettings.map((r) => ({ role: String(r.role), setting: String(r.setting) })),
    comment: db.comment ?? null,
    explicitAcl: db.explicit,
    grants,
  }
}

/** The statements that give database `name` these properties (run on any database of its server). */
export function databasePropertiesSql(name: string, p: DatabaseProperties): string[] {
  const db = quoteIdent(name)
  return [
    ...p.settings.map((s) => `ALTER DATABASE ${db} SET ${settingSql(s)}`),
    ...p.roleSettings.map((r) => `ALTER ROLE ${quoteIdent(r.role)} IN DATABASE ${db} SET ${settingSql(r.setting)}`),
    ...(p.comment !== null ? [`COMMENT ON DATABASE ${db} IS ${literal(p.comment)}`] : []),
    // A new database lets PUBLIC connect; a source with its own privilege list may not.
    ...(p.explicitAcl ? [`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`] : []),
    ...p.grants.map((g) => `GRANT ${g.privilege_type} ON DATABASE ${db} TO ${g.grantee}${g.is_grantable ? ' WITH GRANT OPTION' : ''}`),
  ]
}

/** Settings whose value is a list: each element is its own literal, as pg_dump writes them. */
const LIST_SETTINGS = new Set(['search_path', 'temp_tablespaces', 'session_preload_libraries', 'shared_preload_libraries', 'local_preload_libraries'])

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`

/** `key = value` of a stored `key=value` setting. */
function settingSql(setting: string): string {
  const at = setting.indexOf('=')
  const key = setting.slice(0, at)
  const value = setting.slice(at + 1)
  const values = LIST_SETTINGS.has(key) ? splitList(value).map(literal).join(', ') : literal(value)
  return `${quoteIdent(key)} = ${values}`
}

/** Splits a stored list setting (`"$user", public`) into its unquoted elements. */
function splitList(value: string): string[] {
  const items: string[] = []
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,]*?))\s*(?:,|$)/gy
  for (let m = re.exec(value); m && m[0] !== ''; m = re.exec(value)) items.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!)
  return items
}

/** Roles the properties name (grantees and roles with settings), PUBLIC aside. */
export function rolesNamedBy(p: DatabaseProperties): string[] {
  const unquote = (q: string) => (q.startsWith('"') ? q.slice(1, -1).replace(/""/g, '"') : q)
  return [...p.roleSettings.map((r) => r.role), ...p.grants.filter((g) => g.grantee !== 'PUBLIC').map((g) => unquote(g.grantee))]
}

/** Creates the roles the server lacks, without login and without a password. */
export async function createMissingRoles(client: pg.Client, roles: readonly string[]): Promise<void> {
  const { rows } = await client.query('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [[...new Set(roles)]])
  const existing = new Set(rows.map((r) => r.rolname as string))
  for (const role of new Set(roles)) if (!existing.has(role)) await client.query(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`)
}
