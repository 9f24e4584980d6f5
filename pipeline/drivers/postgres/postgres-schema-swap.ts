import type pg from 'pg'
import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { pauseForTest } from '../../util/test-pause.ts'
import type { SchemaSwapPlan, SchemaSwapResult, SwapSide, TableRef } from '../driver.ts'
import { pgConnect, qualify, quoteIdent } from './postgres-connect.ts'

/** How long the swap waits for a lock on what it moves before it gives up (and changes nothing). */
const SWAP_LOCK_TIMEOUT = '30s'

/** A foreign key taken off a table around kept tables, to be put back by the swap that undoes this one. */
export interface ParkedKey {
  readonly schema: string
  readonly table: string
  readonly name: string
  /** pg_get_constraintdef with every name qualified. */
  readonly definition: string
}

const path = (schemas: readonly string[]) => schemas.map(quoteIdent).join(', ') || "''"

async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN')
  try {
    const result = await work()
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

/**
 * Before the swap, in the copy (`copy.schemaMap` names its shadow schemas): the empty twins of the
 * kept tables (pre-data created them so that the copy's schema applied whole) give way to the live
 * tables. Each twin is set aside in a `_dd_twin_` schema; views naming it are recreated from their
 * own definition to name the live table instead (pg_get_viewdef prints the twin unqualified while
 * its schema is first in the search path, and the same text then resolves in the live schema);
 * foreign keys to it are re-created to reference the live table; then the twins are dropped, which
 * fails (changing nothing) if anything else still uses one. One transaction.
 */
export async function attachKept(copy: Endpoint, kept: readonly TableRef[]): Promise<{ keys: number; views: number }> {
  const map = copy.schemaMap ?? {}
  const live = [...new Set(kept.map((t) => t.schema))]
  const twinOf = (schema: string) => map[schema]!.replace('_dd_shadow_', '_dd_twin_')
  const client = await pgConnect(copy)
  try {
    return await inTransaction(client, async () => {
      for (const schema of live) await client.query(`CREATE SCHEMA ${quoteIdent(twinOf(schema))}`)
      for (const t of kept) await client.query(`ALTER TABLE ${qualify({ schema: map[t.schema]!, name: t.name })} SET SCHEMA ${quoteIdent(twinOf(t.schema))}`)
      const twins = (await client.query(`SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')`,
        [live.map(twinOf)])).rows.map((r) => r.oid)
      await client.query(`SELECT set_config('search_path', $1, true)`, [path(live.map(twinOf))])
      const { rows: views } = await client.query(`
        SELECT DISTINCT v.oid, quote_ident(n.nspname) || '.' || quote_ident(v.relname) AS name, array_to_string(v.reloptions, ', ') AS options,
               pg_get_viewdef(v.oid) AS definition
          FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
          JOIN pg_class v ON v.oid = r.ev_class AND v.relkind = 'v' JOIN pg_namespace n ON n.oid = v.relnamespace
         WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY($1::oid[]) ORDER BY v.oid`, [twins])
      const { rows: keys } = await client.query(`
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS tbl, quote_ident(k.conname) AS name, pg_get_constraintdef(k.oid) AS definition
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE k.contype = 'f' AND k.confrelid = ANY($1::oid[]) AND NOT k.conrelid = ANY($1::oid[]) ORDER BY 1, 2`, [twins])
      await client.query(`SELECT set_config('search_path', $1, true)`, [path(live)])
      for (const v of views) await client.query(`CREATE OR REPLACE VIEW ${v.name}${v.options ? ` WITH (${v.options})` : ''} AS ${v.definition}`)
      for (const k of keys) {
        await client.query(`ALTER TABLE ${k.tbl} DROP CONSTRAINT ${k.name}`)
        await client.query(`ALTER TABLE ${k.tbl} ADD CONSTRAINT ${k.name} ${k.definition}`)
      }
      try {
        // One statement: twins that depend on each other (inheritance, keys) go together.
        await client.query(`DROP TABLE ${kept.map((t) => qualify({ schema: twinOf(t.schema), name: t.name })).join(', ')}`)
        for (const schema of live) await client.query(`DROP SCHEMA ${quoteIdent(twinOf(schema))}`)
      } catch (error) {
        throw new DrydockError('DD_SCHEMA_SWAP_KEPT', `a kept table's copy in the shadow schema is still used by another object: ${(error as Error).message}`, {
          stage: 'loadback', hint: `production is unchanged; tell the drydock maintainers which object it is (${(error as { detail?: string }).detail ?? 'see the message'}), and run with the table changed by the migration meanwhile`,
        }, { cause: error })
      }
      return { keys: keys.length, views: views.length }
    })
  } finally {
    await client.end().catch(() => {})
  }
}

async function relationFiles(client: pg.Client, tables: readonly TableRef[]): Promise<string[]> {
  const files: string[] = []
  for (const t of tables) files.push((await client.query('SELECT pg_relation_filenode($1::regclass)::text AS f', [qualify(t)])).rows[0].f)
  return files
}

/**
 * The in-database swap, in ONE transaction: every relation of the live and incoming schemas is
 * locked (bounded by SWAP_LOCK_TIMEOUT); foreign keys of the outgoing tables into kept tables are
 * parked (dropped and returned: they would constrain the live tables from the backup); kept tables
 * move into the incoming schema (`SET SCHEMA`: catalog only, same relfilenode, their indexes,
 * constraints, triggers and owned sequences with them); each live schema is renamed to its
 * outgoing name and the incoming one to the live name; keys parked by the swap this one undoes
 * are put back. Rollback is the same call with the schemas the other way round.
 */
export async function swapSchemas(live: Endpoint, plan: SchemaSwapPlan): Promise<SchemaSwapResult> {
  const client = await pgConnect(live)
  const names = plan.moves.map((m) => m.schema)
  try {
    return await inTransaction(client, async () => {
      await client.query(`SET LOCAL lock_timeout = '${SWAP_LOCK_TIMEOUT}'`)
      // LOCK TABLE takes tables and views; a materialized view cannot be locked, and the rename reads none.
      const { rows: relations } = await client.query(`
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'f') AND n.nspname = ANY($1) ORDER BY c.oid`, [[...names, ...plan.moves.map((m) => m.incoming)]])
      try {
        if (relations.length > 0) await client.query(`LOCK TABLE ${relations.map((r) => r.name).join(', ')} IN ACCESS EXCLUSIVE MODE`)
      } catch (error) {
        if ((error as { code?: string }).code !== '55P03') throw error
        throw new DrydockError('DD_SWAP_BUSY', `cannot swap: other sessions hold locks on tables of ${names.join(', ')} for more than ${SWAP_LOCK_TIMEOUT}`, {
          stage: 'swap', hint: 'stop the application servers and other clients (it is a maintenance window), then rerun with --resume',
        }, { cause: error })
      }
      const before = await relationFiles(client, plan.keep)
      await client.query(`SELECT set_config('search_path', '', true)`)
      const { rows: parked } = await client.query(`
        SELECT n.nspname AS schema, c.relname AS "table", k.conname AS name, pg_get_constraintdef(k.oid) AS definition
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE k.contype = 'f' AND n.nspname = ANY($1) AND k.confrelid = ANY($2::regclass[]) AND NOT k.conrelid = ANY($2::regclass[])
         ORDER BY 1, 2, 3`, [names, plan.keep.map(qualify)])
      await plan.beforeChange?.(parked, Object.fromEntries(plan.keep.map((t, i) => [`${t.schema}.${t.name}`, before[i]!])))
      for (const k of parked) await client.query(`ALTER TABLE ${qualify({ schema: k.schema, name: k.table })} DROP CONSTRAINT ${quoteIdent(k.name)}`)
      const incoming = new Map(plan.moves.map((m) => [m.schema, m.incoming]))
      for (const t of plan.keep) await client.query(`ALTER TABLE ${qualify(t)} SET SCHEMA ${quoteIdent(incoming.get(t.schema)!)}`)
      for (const m of plan.moves) {
        await client.query(`ALTER SCHEMA ${quoteIdent(m.schema)} RENAME TO ${quoteIdent(m.outgoing)}`)
        await client.query(`ALTER SCHEMA ${quoteIdent(m.incoming)} RENAME TO ${quoteIdent(m.schema)}`)
      }
      for (const k of (plan.restore ?? []) as ParkedKey[]) {
        await client.query(`ALTER TABLE ${qualify({ schema: k.schema, name: k.table })} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`)
      }
      const after = await relationFiles(client, plan.keep)
      pauseForTest('swap-transaction')
      return {
        parked: parked as ParkedKey[],
        files: Object.fromEntries(plan.keep.map((t, i) => [`${t.schema}.${t.name}`, { before: before[i]!, after: after[i]! }])),
      }
    })
  } catch (error) {
    if (error instanceof DrydockError) throw error
    throw new DrydockError('DD_SWAP_FAILED', `schema swap of ${names.join(', ')} failed and was rolled back: ${(error as Error).message}`, {
      stage: 'swap', hint: 'production is unchanged; fix the cause and rerun with --resume',
    }, { cause: error })
  } finally {
    await client.end().catch(() => {})
  }
}

/** The renames commit together: the outgoing schemas exist only once the swap did. */
export async function schemaSwapSide(live: Endpoint, plan: SchemaSwapPlan): Promise<SwapSide> {
  const client = await pgConnect(live)
  try {
    const outgoing = plan.moves.map((m) => m.outgoing)
    const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = ANY($1)', [outgoing])
    return { swapped: rows[0].n === outgoing.length }
  } finally {
    await client.end().catch(() => {})
  }
}

// Objects outside `schemas` that DROP SCHEMA … CASCADE would take with them.
const DEPENDENTS_SQL = `
SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid) || ' uses ' || pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) AS item
  FROM pg_depend d
 WHERE d.deptype IN ('n', 'a') AND (parse_ident((pg_identify_object(d.refclassid, d.refobjid, 0)).schema))[1] = ANY($1)
   AND coalesce((parse_ident((pg_identify_object(d.classid, d.objid, 0)).schema))[1],
         (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.oid = CASE d.classid WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid)
                                        WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = d.objid)
                                        WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid)
                                        WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = d.objid) END)) <> ALL($1)
 ORDER BY 1 LIMIT 10`

/**
 * Drops drydock's schemas (a shadow left by an earlier attempt, the backup at --cleanup, a rejected
 * upgrade) with everything in them. Refuses, dropping nothing, when an object outside them uses
 * one inside: CASCADE would take it too (a kept table's column, default or trigger).
 */
export async function dropSwapSchemas(live: Endpoint, schemas: readonly string[]): Promise<void> {
  const client = await pgConnect(live)
  try {
    const present = (await client.query('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1', [schemas])).rows.map((r) => r.nspname as string)
    if (present.length === 0) return
    const twins = present.map((s) => s.replace('_dd_shadow_', '_dd_twin_')).filter((s) => !present.includes(s))
    await inTransaction(client, async () => {
      const outside = (await client.query(DEPENDENTS_SQL, [[...present, ...twins]])).rows.map((r) => r.item as string)
      if (outside.length > 0) {
        throw new DrydockError('DD_SWAP_SCHEMA_IN_USE', `cannot drop ${present.join(', ')}: objects outside them use objects inside: ${outside.join('; ')}`, {
          stage: 'cleanup', hint: 'dropping would take those objects with it; move or drop them first (or re-create them on the live objects), then run --cleanup again',
        })
      }
      for (const schema of [...present, ...twins]) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`)
    })
  } finally {
    await client.end().catch(() => {})
  }
}
