import type pg from 'pg'
import type { TableChecksum, TableRef } from '../driver.ts'
import { DrydockError } from '../../errors.ts'
import { qualify, quoteIdent } from './postgres-connect.ts'
import { checksumColumns, checksumOverSql, checksumSql } from './postgres-checksum.ts'

const MATVIEWS_SQL = `
SELECT n.nspname AS schema, c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'm' AND c.relispopulated
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
   AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
 ORDER BY 1, 2`

/** Populated materialized views: pg_dump recreates them with a REFRESH, so the hops checksum them. */
export async function materializedViews(client: pg.Client, schemas?: readonly string[]): Promise<TableRef[]> {
  const { rows } = await client.query(MATVIEWS_SQL, [schemas ?? null])
  return rows.map((r) => ({ schema: r.schema, name: r.name }))
}

/** The view's contents' checksum; an unpopulated view (no REFRESH reached it) is a clear error. */
export async function viewChecksum(client: pg.Client, view: TableRef): Promise<TableChecksum> {
  const { rows: [state] } = await client.query("SELECT relispopulated AS populated FROM pg_class WHERE oid = $1::regclass", [qualify(view)])
  if (!state?.populated) throw new DrydockError('DD_VERIFY_MISMATCH', `materialized view ${view.schema}.${view.name} is not populated`)
  const { rows } = await client.query(checksumSql(qualify(view), await checksumColumns(client, qualify(view))))
  return { rows: Number(rows[0].rows), digest: rows[0].digest }
}

/** The checksum the view would have if it were refreshed now: its query's result, under the view's column names. */
export async function definitionChecksum(client: pg.Client, view: TableRef): Promise<TableChecksum> {
  const columns = await checksumColumns(client, qualify(view))
  const { rows: [def] } = await client.query('SELECT pg_get_viewdef($1::regclass) AS sql', [qualify(view)])
  const query = String(def.sql).trim().replace(/;$/, '')
  const from = `(${query}) AS dd_row(${columns.map((c) => quoteIdent(c.name)).join(', ')})`
  const { rows } = await client.query(checksumOverSql(from, columns))
  return { rows: Number(rows[0].rows), digest: rows[0].digest }
}

/**
 * Refuses populated views whose contents differ from their query's result now (stale): their
 * rows cannot be written, only refreshed, so they would come back changed.
 */
export async function checkMaterializedViews(client: pg.Client, database: string): Promise<void> {
  const stale: string[] = []
  for (const view of await materializedViews(client)) {
    const [contents, fresh] = [await viewChecksum(client, view), await definitionChecksum(client, view)]
    if (contents.rows !== fresh.rows || contents.digest !== fresh.digest) stale.push(`${view.schema}.${view.name}`)
  }
  if (stale.length === 0) return
  throw new DrydockError('DD_MATVIEW_STALE', `${database}: materialized view(s) ${stale.join(', ')} hold rows their query no longer returns (stale); drydock can only recreate a materialized view by refreshing it, so they would come back changed`, {
    stage: 'preflight', hint: `REFRESH MATERIALIZED VIEW them on production first, or set refreshMaterializedViews: true to accept refreshed contents`,
  })
}
