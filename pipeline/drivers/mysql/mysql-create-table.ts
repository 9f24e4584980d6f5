/**
 * SHOW CREATE TABLE split for a fast load: the table with its primary key (and an index the
 * AUTO_INCREMENT column needs), and apart from it the secondary indexes and the foreign
 * keys, added after the rows. SHOW CREATE TABLE prints one definition per line (comments
 * and defaults have their newlines escaped); options and partitions follow the closing `)`.
 */
export interface SplitTable {
  readonly create: string
  /** `ADD …` clauses: secondary indexes. */
  readonly indexes: readonly string[]
  /** `ADD CONSTRAINT … FOREIGN KEY …` clauses. */
  readonly foreignKeys: readonly string[]
}

const IDENT = '`(?:[^`]|``)*`'
const INDEX_LINE = /^(UNIQUE |FULLTEXT |SPATIAL |VECTOR )?(KEY|INDEX) /
const FK_LINE = new RegExp(`^(CONSTRAINT ${IDENT} )?FOREIGN KEY `)
const FIRST_INDEX_COLUMN = new RegExp(`\\((${IDENT})`)
const COLUMN_NAME = new RegExp(`^(${IDENT}) `)

function autoIncrementColumn(definitions: readonly string[]): string | undefined {
  for (const d of definitions) {
    const name = COLUMN_NAME.exec(d)?.[1]
    // Ignore the words in a COMMENT '…' at the end of the definition.
    if (name && / AUTO_INCREMENT\b/.test(d.split(" COMMENT '")[0]!)) return name
  }
  return undefined
}

export function splitCreateTable(sql: string): SplitTable {
  const lines = sql.split('\n')
  const close = lines.findIndex((line, i) => i > 0 && line.startsWith(')'))
  if (!/^CREATE TABLE .*\($/.test(lines[0] ?? '') || close < 0) return { create: sql, indexes: [], foreignKeys: [] }
  const definitions = lines.slice(1, close).map((l) => l.trim().replace(/,$/, ''))
  const autoColumn = autoIncrementColumn(definitions)
  const keep: string[] = []
  const indexes: string[] = []
  const foreignKeys: string[] = []
  for (const d of definitions) {
    if (FK_LINE.test(d)) foreignKeys.push(`ADD ${d}`)
    else if (INDEX_LINE.test(d) && !(autoColumn && FIRST_INDEX_COLUMN.exec(d)?.[1] === autoColumn)) indexes.push(`ADD ${d}`)
    else keep.push(d)
  }
  const create = [lines[0], keep.map((d) => `  ${d}`).join(',\n'), ...lines.slice(close)].join('\n')
  return { create, indexes, foreignKeys }
}
