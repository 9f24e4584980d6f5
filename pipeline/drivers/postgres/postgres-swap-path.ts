import type pg from 'pg'
import type { Endpoint } from '../../config/endpoint.ts'
import type { SchemaSwapCheck } from '../driver.ts'
import { pgConnect } from './postgres-connect.ts'
import { DRYDOCK_SCHEMA_RE } from './postgres-swap-names.ts'

const USER_SCHEMAS_SQL = `
SELECT n.nspname AS name FROM pg_namespace n
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)' AND n.nspname !~ '${DRYDOCK_SCHEMA_RE}'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
 ORDER BY 1`

// What a schema swap cannot carry, because it lives in the database, not in a schema. Each query
// lists one kind by name; the two sides (production, migrated staging) must list the same.
const DATABASE_WIDE: readonly { what: string; sql: string }[] = [
  { what: 'extensions', sql: `SELECT e.extname || ' ' || e.extversion || ' in ' || n.nspname AS item FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace` },
  { what: 'database settings (ALTER DATABASE … SET)', sql: `SELECT unnest(s.setconfig) AS item FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database() AND s.setrole = 0` },
  { what: 'casts', sql: `SELECT format_type(castsource, NULL) || ' as ' || format_type(casttarget, NULL) AS item FROM pg_cast WHERE oid >= 16384` },
  { what: 'event triggers', sql: `SELECT evtname || ' ' || evtevent::text || ' ' || evtfoid::regproc::text AS item FROM pg_event_trigger` },
  { what: 'procedural languages', sql: `SELECT lanname AS item FROM pg_language WHERE oid >= 16384` },
  { what: 'foreign-data wrappers and servers', sql: `SELECT 'wrapper ' || fdwname AS item FROM pg_foreign_data_wrapper UNION ALL SELECT 'server ' || srvname FROM pg_foreign_server` },
  { what: 'publications', sql: `SELECT pubname AS item FROM pg_publication` },
  { what: 'global default privileges (ALTER DEFAULT PRIVILEGES without IN SCHEMA)', sql: `SELECT pg_get_userbyid(defaclrole) || ' ' || defaclobjtype::text || ' ' || defaclacl::text AS item FROM pg_default_acl WHERE defaclnamespace = 0` },
]

// Extensions whose objects are in a swapped schema: the swap would rename them away with it.
const EXTENSIONS_IN_SCHEMAS_SQL = `
SELECT e.extname AS ext, n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE n.nspname = ANY($1::text[]) ORDER BY 1`

// Objects outside the swapped schemas bound to objects inside (only when config.schemas names some).
const BOUND_FROM_OUTSIDE_SQL = `
WITH dep AS (
  SELECT d.*, (parse_ident((pg_identify_object(d.refclassid, d.refobjid, 0)).schema))[1] AS ref_schema,
         coalesce((parse_ident((pg_identify_object(d.classid, d.objid, 0)).schema))[1], (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.oid = CASE d.classid WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid)
                                                 WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = d.objid)
                                                 WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid)
                                                 WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = d.objid) END)) AS dep_schema
    FROM pg_depend d WHERE d.deptype IN ('n', 'a'))
SELECT DISTINCT pg_describe_object(classid, objid, 0) || ' uses ' || pg_describe_object(refclassid, refobjid, 0) AS item
  FROM dep WHERE ref_schema = ANY($1::text[]) AND dep_schema IS NOT NULL AND dep_schema <> ALL($1::text[])
   AND dep_schema NOT IN ('pg_catalog', 'information_schema') AND dep_schema !~ '${DRYDOCK_SCHEMA_RE}'
 ORDER BY 1 LIMIT 5`

async function items(client: pg.Client, sql: string, params: unknown[] = []): Promise<string[]> {
  return (await client.query(sql, params)).rows.map((r) => String(r.item ?? r.name)).sort()
}

function difference(what: string, live: string[], staged: string[]): string | undefined {
  const added = staged.filter((x) => !live.includes(x))
  const removed = live.filter((x) => !staged.includes(x))
  if (added.length === 0 && removed.length === 0) return undefined
  return `the migration changed ${what} (${[...added.map((x) => `+${x}`), ...removed.map((x) => `-${x}`)].join(', ')}), which live in the database, not in a schema`
}

/**
 * Whether the migration can go live by swapping schemas inside the live database, or needs the
 * whole database swapped: the swapped schemas (config.schemas, or every application schema)
 * and, when it cannot, why. Reads production and migrated staging only.
 */
export async function schemaSwapCheck(live: Endpoint, staging: Endpoint, schemas?: readonly string[]): Promise<SchemaSwapCheck> {
  const [prod, stage] = [await pgConnect(live), await pgConnect(staging)]
  try {
    const blockers: string[] = []
    const liveSchemas = await items(prod, USER_SCHEMAS_SQL)
    const stagedSchemas = await items(stage, USER_SCHEMAS_SQL)
    const swapped = schemas ? [...schemas] : liveSchemas
    if (schemas) {
      const missing = schemas.filter((s) => !liveSchemas.includes(s) || !stagedSchemas.includes(s))
      if (missing.length > 0) blockers.push(`schema(s) ${missing.join(', ')} are not on both production and migrated staging`)
    } else {
      const changed = difference('the set of schemas', liveSchemas, stagedSchemas)
      if (changed) blockers.push(changed)
    }
    for (const { what, sql } of DATABASE_WIDE) {
      const changed = difference(what, await items(prod, sql), await items(stage, sql))
      if (changed) blockers.push(changed)
    }
    for (const client of [prod, stage]) {
      for (const r of (await client.query(EXTENSIONS_IN_SCHEMAS_SQL, [swapped])).rows) {
        const reason = `extension ${r.ext} has its objects in schema ${r.schema}, which the swap renames (install it in a schema of its own)`
        if (!blockers.includes(reason)) blockers.push(reason)
      }
    }
    const publications = await items(prod, 'SELECT pubname AS item FROM pg_publication')
    if (publications.length > 0) blockers.push(`publications (${publications.join(', ')}) name their tables by OID and would keep publishing the old ones after a schema swap`)
    if (schemas) {
      const bound = await items(prod, BOUND_FROM_OUTSIDE_SQL, [swapped])
      if (bound.length > 0) blockers.push(`objects outside the swapped schemas (${swapped.join(', ')}) are bound to objects inside: ${bound.join('; ')}`)
    }
    return { schemas: swapped, blockers }
  } finally {
    await Promise.all([prod.end().catch(() => {}), stage.end().catch(() => {})])
  }
}
