import type pg from 'pg'
import type { KeepBinding, TableDependencies } from '../driver.ts'
import { NOT_DRYDOCK_SCHEMA } from './postgres-swap-names.ts'

const USER_TABLES = `c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
   AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[])) AND ${NOT_DRYDOCK_SCHEMA}`

// Everything of a table a migration could change without touching its rows: columns, constraints,
// indexes, triggers, policies, options, owner, grants and comments.
const DEFINITIONS_SQL = `
SELECT n.nspname || '.' || c.relname AS key, md5(concat_ws(E'\\n',
  (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' ' || a.attidentity::text || a.attgenerated::text
                     || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' ' || a.attcollation::text || ' ' || coalesce(a.attacl::text, '')
                     || ' ' || coalesce(col_description(c.oid, a.attnum), ''), ', ' ORDER BY a.attnum)
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname) FROM pg_constraint k WHERE k.conrelid = c.oid),
  (SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY pg_get_indexdef(i.indexrelid)) FROM pg_index i WHERE i.indrelid = c.oid),
  (SELECT string_agg(pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text, ', ' ORDER BY t.tgname) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
  (SELECT string_agg(p.polname || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), ', ' ORDER BY p.polname)
     FROM pg_policy p WHERE p.polrelid = c.oid),
  c.relrowsecurity::text, coalesce(c.reloptions::text, ''), coalesce(c.relacl::text, ''), pg_get_userbyid(c.relowner),
  coalesce(obj_description(c.oid, 'pg_class'), ''))) AS digest
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE ${USER_TABLES}`

const REFERENCES_SQL = `
SELECT n.nspname || '.' || c.relname AS "from", rn.nspname || '.' || r.relname AS "to"
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
 WHERE k.contype = 'f' AND ${USER_TABLES}`

/**
 * Whole-definition digests and foreign-key edges of the database's tables (keys `schema.table`).
 * Views bind to tables by OID and are re-pointed at kept tables before the swap
 * (postgres-schema-swap.ts), so no table is copied for being in a view: `inViews` is empty.
 */
export async function pgTableDependencies(client: pg.Client, schemas?: readonly string[]): Promise<TableDependencies> {
  const definitions = new Map((await client.query(DEFINITIONS_SQL, [schemas ?? null])).rows.map((r) => [r.key as string, r.digest as string]))
  const references = (await client.query(REFERENCES_SQL, [schemas ?? null])).rows.map((r) => ({ from: r.from as string, to: r.to as string }))
  return { definitions, references, inViews: new Set() }
}

// The objects that belong to a table and move with it (ALTER TABLE … SET SCHEMA): the table, its
// row and array types, defaults, constraints, triggers, policies, rules, indexes, owned sequences.
const OWNED_CTE = `
WITH t AS (
  SELECT c.oid, n.nspname || '.' || c.relname AS key
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
), owned AS (
            SELECT key, 'pg_class'::regclass AS classid, oid AS objid FROM t
  UNION ALL SELECT t.key, 'pg_type'::regclass, c.reltype FROM t JOIN pg_class c ON c.oid = t.oid
  UNION ALL SELECT t.key, 'pg_type'::regclass, ty.typarray FROM t JOIN pg_class c ON c.oid = t.oid JOIN pg_type ty ON ty.oid = c.reltype
  UNION ALL SELECT t.key, 'pg_attrdef'::regclass, d.oid FROM t JOIN pg_attrdef d ON d.adrelid = t.oid
  UNION ALL SELECT t.key, 'pg_constraint'::regclass, k.oid FROM t JOIN pg_constraint k ON k.conrelid = t.oid
  UNION ALL SELECT t.key, 'pg_trigger'::regclass, g.oid FROM t JOIN pg_trigger g ON g.tgrelid = t.oid
  UNION ALL SELECT t.key, 'pg_policy'::regclass, p.oid FROM t JOIN pg_policy p ON p.polrelid = t.oid
  UNION ALL SELECT t.key, 'pg_rewrite'::regclass, r.oid FROM t JOIN pg_rewrite r ON r.ev_class = t.oid
  UNION ALL SELECT t.key, 'pg_class'::regclass, i.indexrelid FROM t JOIN pg_index i ON i.indrelid = t.oid
  UNION ALL SELECT t.key, 'pg_class'::regclass, d.objid FROM t
              JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
              JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
)`

// What a table's own objects use in the swapped schemas (types, functions, sequences, other
// tables), and what uses them there (materialized views, functions on its row type, other tables'
// defaults); foreign keys and plain views are re-pointed at the kept table, so they do not count.
// pg_identify_object quotes the schema where it needs quotes: parse_ident gives the plain name back.
const BINDINGS_SQL = `${OWNED_CTE}
SELECT o.key AS "table", 'it uses ' || pg_describe_object(d.refclassid, d.refobjid, 0) AS reason, owner.key AS unless_kept
  FROM owned o JOIN pg_depend d ON d.classid = o.classid AND d.objid = o.objid AND d.deptype IN ('n', 'a')
  LEFT JOIN owned owner ON owner.classid = d.refclassid AND owner.objid = d.refobjid
 WHERE owner.key IS DISTINCT FROM o.key AND (parse_ident((pg_identify_object(d.refclassid, d.refobjid, 0)).schema))[1] = ANY($1::text[])
UNION
SELECT o.key, pg_describe_object(d.classid, d.objid, 0) || ' uses it', dependent.key
  FROM owned o JOIN pg_depend d ON d.refclassid = o.classid AND d.refobjid = o.objid AND d.deptype IN ('n', 'a')
  LEFT JOIN owned dependent ON dependent.classid = d.classid AND dependent.objid = d.objid
 WHERE dependent.key IS DISTINCT FROM o.key
   AND NOT (d.classid = 'pg_constraint'::regclass AND EXISTS (SELECT 1 FROM pg_constraint k WHERE k.oid = d.objid AND k.contype = 'f'))
   AND NOT (d.classid = 'pg_rewrite'::regclass
            AND EXISTS (SELECT 1 FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class WHERE r.oid = d.objid AND v.relkind = 'v'))
 ORDER BY 1, 2`

/**
 * Why a table cannot stay live across a swap of `schemas` (read on migrated staging): the objects
 * it is bound to by OID that the swap replaces or the cleanup drops with the old schema. A binding
 * to another table's object (`unlessKept`) is harmless while that table stays live too.
 */
export async function pgKeepBindings(client: pg.Client, schemas: readonly string[]): Promise<KeepBinding[]> {
  const { rows } = await client.query(BINDINGS_SQL, [schemas])
  return rows.map((r) => ({ table: r.table, reason: r.reason, unlessKept: r.unless_kept ?? null }))
}
