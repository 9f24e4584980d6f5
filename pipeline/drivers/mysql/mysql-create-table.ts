/**
 * SHOW CREATE TABLE split for a fast load: the table with its primary key (and an index the
 * AUTO_INCREMENT column needs), and apart from it the secondary indexes and the foreign
 * keys, added after the rows. SHOW CREATE TABLE prints one definition per line (comments
 * and defaults have their newlines escaped); options and partitions follow the closing `)`.
 *
 * An index the server made for a foreign key (implicit) is left to the foreign key to make
 * again: declared, it would be an ordinary index, which the server keeps where it drops the
 * implicit one (a later index that can serve the key replaces it). SHOW CREATE TABLE cannot
 * tell them apart. A candidate is a plain `KEY` over exactly a foreign key's columns, named as
 * the server names the index it makes (the constraint's name; on MariaDB, for a key made
 * without a constraint name, its first column), with no other index or the primary key
 * starting with those columns (an implicit index would not have been made, or would have
 * been dropped). `explicit` names candidates known to be declared (mysql-fk-indexes.ts asks
 * the server); without it every candidate counts as implicit.
 */
export interface SplitTable {
  readonly create: string
  /** `ADD …` clauses: secondary indexes, built side by side with other tables'. */
  readonly indexes: readonly string[]
  /**
   * `ADD CONSTRAINT … FOREIGN KEY …` clauses, and in their place in the index order the
   * implicit indexes' keys and the indexes after them (an ALTER adds indexes in clause order).
   */
  readonly foreignKeys: readonly string[]
  /** The indexes left to their foreign keys (bare names). */
  readonly implicitIndexes: readonly { index: string; columns: readonly string[] }[]
}

export interface SplitOptions {
  /** MariaDB names an implicit index after `CONSTRAINT name`, the constraint after `FOREIGN KEY name`. */
  readonly mariadb?: boolean
  /** Candidate indexes (bare names) that were declared, not made by their foreign key. */
  readonly explicit?: ReadonlySet<string>
}

const IDENT = '`(?:[^`]|``)*`'
const INDEX_LINE = /^(UNIQUE |FULLTEXT |SPATIAL |VECTOR )?(KEY|INDEX) /
const FK_LINE = new RegExp(`^(CONSTRAINT ${IDENT} )?FOREIGN KEY `)
const FIRST_INDEX_COLUMN = new RegExp(`\\((${IDENT})`)
const COLUMN_NAME = new RegExp(`^(${IDENT}) `)
const COLUMN_LIST = `\\(((?:${IDENT},)*${IDENT})\\)`
const PLAIN_KEY = new RegExp(`^KEY (${IDENT}) ${COLUMN_LIST}$`)
const NAMED_FK = new RegExp(`^CONSTRAINT (${IDENT}) FOREIGN KEY ${COLUMN_LIST}`)
const ANY_INDEX_COLUMNS = new RegExp(`^(?:PRIMARY KEY|(?:UNIQUE |FULLTEXT |SPATIAL |VECTOR )?(?:KEY|INDEX) ${IDENT}) \\(([^)]*)\\)`)

/** `` `a``b` `` → a`b */
const bare = (quoted: string) => quoted.slice(1, -1).replace(/``/g, '`')

function autoIncrementColumn(definitions: readonly string[]): string | undefined {
  for (const d of definitions) {
    const name = COLUMN_NAME.exec(d)?.[1]
    // Ignore the words in a COMMENT '…' at the end of the definition.
    if (name && / AUTO_INCREMENT\b/.test(d.split(" COMMENT '")[0]!)) return name
  }
  return undefined
}

/** The foreign key clause that makes index `line` implicitly, or undefined when the index is explicit. */
function implicitKeyClause(line: string, definitions: readonly string[], options: SplitOptions): string | undefined {
  const key = PLAIN_KEY.exec(line)
  if (!key) return undefined
  const [, name, columns] = key
  if (options.explicit?.has(bare(name!))) return undefined
  const firstColumn = new RegExp(`^${IDENT}`).exec(columns!)![0]
  for (const d of definitions) {
    const fk = NAMED_FK.exec(d)
    if (!fk || fk[2] !== columns) continue
    const constraint = fk[1]!
    if (name !== constraint && !(options.mariadb && name === firstColumn)) continue
    const served = definitions.some((other) => other !== line && other !== d
      && [`${columns})`, `${columns},`].some((lead) => (ANY_INDEX_COLUMNS.exec(other)?.[1] ?? '').concat(')').startsWith(lead)))
    if (served) return undefined
    if (name === constraint) return `ADD ${d}`
    return `ADD CONSTRAINT ${name} FOREIGN KEY ${constraint} ${d.slice(d.indexOf('(', `CONSTRAINT ${constraint} FOREIGN KEY`.length))}`
  }
  return undefined
}

export function splitCreateTable(sql: string, options: SplitOptions = {}): SplitTable {
  const lines = sql.split('\n')
  const close = lines.findIndex((line, i) => i > 0 && line.startsWith(')'))
  if (!/^CREATE TABLE .*\($/.test(lines[0] ?? '') || close < 0) return { create: sql, indexes: [], foreignKeys: [], implicitIndexes: [] }
  const definitions = lines.slice(1, close).map((l) => l.trim().replace(/,$/, ''))
  const autoColumn = autoIncrementColumn(definitions)
  const keep: string[] = []
  const indexes: string[] = []
  const late: string[] = []
  const madeByKeys = new Set<string>()
  const implicitIndexes: { index: string; columns: string[] }[] = []
  for (const d of definitions) {
    if (FK_LINE.test(d)) continue
    if (!INDEX_LINE.test(d) || (autoColumn && FIRST_INDEX_COLUMN.exec(d)?.[1] === autoColumn)) {
      keep.push(d)
      continue
    }
    const implicit = implicitKeyClause(d, definitions, options)
    if (implicit) {
      late.push(implicit)
      madeByKeys.add(implicit)
      const [, name, columns] = PLAIN_KEY.exec(d)!
      implicitIndexes.push({ index: bare(name!), columns: columns!.match(new RegExp(IDENT, 'g'))!.map(bare) })
    } else {
      (late.length > 0 ? late : indexes).push(`ADD ${d}`)
    }
  }
  const foreignKeys = [...late, ...definitions.filter((d) => FK_LINE.test(d)).map((d) => `ADD ${d}`)
    .filter((clause) => ![...madeByKeys].some((made) => made === clause || sameConstraint(made, clause)))]
  const create = [lines[0], keep.map((d) => `  ${d}`).join(',\n'), ...lines.slice(close)].join('\n')
  return { create, indexes, foreignKeys, implicitIndexes }
}

/** `ADD CONSTRAINT idx FOREIGN KEY name (…)` (MariaDB's order) stands for `ADD CONSTRAINT name FOREIGN KEY (…)`. */
function sameConstraint(made: string, clause: string): boolean {
  const m = new RegExp(`^ADD CONSTRAINT ${IDENT} FOREIGN KEY (${IDENT}) (\\(.*)$`).exec(made)
  return m !== null && clause === `ADD CONSTRAINT ${m[1]} FOREIGN KEY ${m[2]}`
}
