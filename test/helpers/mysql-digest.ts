/**
 * A digest of a MariaDB database that shares no code with drydock: the schema as
 * `mariadb-dump --no-data` prints it, the catalog (information_schema) row by row, every
 * sequence's options and state, and every table's rows by `CHECKSUM TABLE … EXTENDED`.
 * The database's own name is replaced by `DB`, so a copy under another name compares equal;
 * what a copy cannot keep (creation times, AUTO_INCREMENT in the dump text, which the
 * catalog part carries as a number) is left out.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ident, MY_HOST, MY_PASSWORD, MY_PORT, MY_USER, sql } from './mysql.ts'

const run = promisify(execFile)

export interface Digest {
  readonly dump: string
  readonly catalog: Record<string, string[]>
  readonly sequences: Record<string, string>
  readonly checksums: Record<string, string>
}

/** Every occurrence of the database's name as an identifier or a catalog value, as `DB`. */
function normalise(text: string, database: string): string {
  return text.split(ident(database)).join('`DB`').split(`'${database}'`).join("'DB'")
}

async function schemaDump(database: string): Promise<string> {
  const { stdout } = await run('mariadb-dump', [
    `--host=${MY_HOST}`, `--port=${MY_PORT}`, `--user=${MY_USER}`, '--no-data', '--routines', '--events', '--triggers',
    '--skip-dump-date', '--skip-comments', '--skip-opt', '--create-options', '--quote-names', '--tz-utc', database,
  ], { maxBuffer: 64 << 20, env: { ...process.env, ...(MY_PASSWORD !== undefined ? { MYSQL_PWD: MY_PASSWORD } : {}) } })
  return normalise(stdout, database).replace(/ AUTO_INCREMENT=\d+/g, '')
}

/** Catalog rows per view of information_schema (one line per row, fixed order). */
const CATALOG: Record<string, string> = {
  schema: `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME, SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()`,
  tables: `SELECT TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT, AUTO_INCREMENT, TEMPORARY
    FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`,
  columns: `SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, CHARACTER_SET_NAME, COLLATION_NAME,
      COLUMN_KEY, EXTRA, PRIVILEGES, COLUMN_COMMENT, IS_GENERATED, GENERATION_EXPRESSION
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  indexes: `SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, NON_UNIQUE, COLUMN_NAME, SUB_PART, NULLABLE, INDEX_TYPE, COMMENT, INDEX_COMMENT, IGNORED
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  constraints: `SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS
    WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE`,
  foreignKeys: `SELECT TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME, UNIQUE_CONSTRAINT_NAME, MATCH_OPTION, UPDATE_RULE, DELETE_RULE
    FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME`,
  checks: `SELECT TABLE_NAME, CONSTRAINT_NAME, LEVEL, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
    WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME`,
  views: `SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, DEFINER, SECURITY_TYPE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, ALGORITHM
    FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`,
  triggers: `SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_STATEMENT, ACTION_TIMING, SQL_MODE, DEFINER,
      CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION
    FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY EVENT_OBJECT_TABLE, TRIGGER_NAME`,
  routines: `SELECT ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_BODY, ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE,
      SQL_MODE, ROUTINE_COMMENT, DEFINER, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION
    FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_TYPE, ROUTINE_NAME`,
  parameters: `SELECT SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER FROM information_schema.PARAMETERS
    WHERE SPECIFIC_SCHEMA = DATABASE() ORDER BY SPECIFIC_NAME, ORDINAL_POSITION`,
  events: `SELECT EVENT_NAME, DEFINER, TIME_ZONE, EVENT_BODY, EVENT_DEFINITION, EVENT_TYPE, EXECUTE_AT, INTERVAL_VALUE, INTERVAL_FIELD, SQL_MODE,
      STARTS, ENDS, STATUS, ON_COMPLETION, EVENT_COMMENT, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION
    FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY EVENT_NAME`,
  partitions: `SELECT TABLE_NAME, PARTITION_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, PARTITION_DESCRIPTION
    FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND PARTITION_NAME IS NOT NULL ORDER BY TABLE_NAME, PARTITION_ORDINAL_POSITION`,
}

export async function independentDigest(database: string): Promise<Digest> {
  const catalog: Record<string, string[]> = {}
  for (const [name, query] of Object.entries(CATALOG)) {
    catalog[name] = (await sql(database, query)).map((row) => normalise(JSON.stringify(Object.values(row).map((v) => (v === database ? 'DB' : v))), database))
  }
  const sequences: Record<string, string> = {}
  const checksums: Record<string, string> = {}
  for (const t of await sql(database, "SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE <> 'VIEW' ORDER BY 1")) {
    if (t.type === 'SEQUENCE') {
      sequences[t.name!] = JSON.stringify(Object.values((await sql(database, `SELECT * FROM ${ident(t.name!)}`))[0]!))
    } else {
      const [row] = await sql(database, `CHECKSUM TABLE ${ident(t.name!)} EXTENDED`)
      const [count] = await sql(database, `SELECT COUNT(*) AS n FROM ${ident(t.name!)}`)
      checksums[t.name!] = `${count!.n}:${row!.Checksum}`
    }
  }
  return { dump: await schemaDump(database), catalog, sequences, checksums }
}
