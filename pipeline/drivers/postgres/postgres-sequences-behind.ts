import type pg from 'pg'
import type { SequenceBehind } from '../driver.ts'

// Sequences a column owns: serial (an 'a'uto dependency) and identity ('i'nternal).
const OWNED_SQL = `
SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS sequence,
       quote_ident(tn.nspname) || '.' || quote_ident(t.relname) AS "table", quote_ident(a.attname) AS column, q.seqincrement::text AS increment
  FROM pg_depend d
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_sequence q ON q.seqrelid = s.oid
  JOIN pg_namespace sn ON sn.oid = s.relnamespace
  JOIN pg_class t ON t.oid = d.refobjid
  JOIN pg_namespace tn ON tn.oid = t.relnamespace
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
   AND sn.nspname NOT IN ('pg_catalog', 'information_schema') AND sn.nspname !~ '^pg_(toast|temp)'
 ORDER BY 1`

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`

/**
 * Owned sequences whose next value the column already holds (an ascending one at or below the
 * column's max, a descending one at or above its min): a migration that inserts explicit ids
 * leaves them so, and the next INSERT without an id would fail on the key.
 */
export async function sequencesBehind(client: pg.Client): Promise<SequenceBehind[]> {
  const { rows } = await client.query(OWNED_SQL)
  const out: SequenceBehind[] = []
  for (const r of rows) {
    const increment = BigInt(r.increment)
    const column: string = r.column
    const edge = increment > 0n ? 'max' : 'min'
    const { rows: [state] } = await client.query(`SELECT last_value::text AS last, is_called,
        (SELECT ${edge}(${column})::text FROM ONLY ${r.table}) AS edge FROM ${r.sequence}`)
    if (state.edge === null || !/^-?\d+$/.test(state.edge)) continue
    const next = state.is_called ? BigInt(state.last) + increment : BigInt(state.last)
    const edgeValue = BigInt(state.edge)
    if (increment > 0n ? next > edgeValue : next < edgeValue) continue
    out.push({
      sequence: r.sequence, column: `${r.table}.${column}`, next: String(next), max: state.edge,
      fix: `SELECT setval(${literal(r.sequence)}, (SELECT ${edge}(${column}) FROM ${r.table}));`,
    })
  }
  return out
}
