import { type Column, checksumPart } from './mysql-columns.ts'
import { quoteIdent } from './mysql-connect.ts'

/**
 * Per table: the row count and the exact sum (DECIMAL, no overflow) of the first 64 bits of
 * SHA-1 over each row's text, every column in definition order (generated ones included).
 * A sum, unlike XOR, does not cancel duplicate rows, and it does not depend on row order.
 * The text is canonical because every drydock session pins time_zone, sql_mode and utf8mb4
 * (mysql-connect.ts); the same SQL runs on production, staging and the shadow.
 */
export function checksumSql(table: string, columns: readonly Column[], where = ''): string {
  const row = `CONCAT(${columns.map(checksumPart).join(', ')})`
  return `SELECT COUNT(*) AS \`rows\`,
       CAST(COALESCE(SUM(CAST(CONV(LEFT(SHA1(${row}), 16), 16, 10) AS UNSIGNED)), 0) AS CHAR) AS digest
  FROM ${quoteIdent(table)}${where}`
}

/** The name of this checksum in the manifest: a change to the row text or the hash is a new version. */
export const MYSQL_CHECKSUM_ALGORITHM = 'mysql-sha1-64-sum-v1'
