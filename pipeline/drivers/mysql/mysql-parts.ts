import type { PartBasis, PartRange, TableInfo } from '../driver.ts'
import { type MysqlConn, quoteIdent } from './mysql-connect.ts'
import { keyBounds } from './mysql-rows.ts'
import { isDrydockError } from '../../errors.ts'

/** Only a single-column integer primary key splits a MySQL table; any other table moves whole. */
export async function mysqlPartBasis(conn: MysqlConn, table: TableInfo): Promise<PartBasis | null> {
  if (table.primaryKey.length !== 1) return null
  const column = table.primaryKey[0]!
  try {
    const { min, max } = await keyBounds(conn, table, column)
    return min === null || max === null ? null : { kind: 'key', column, min, max }
  } catch (error) {
    if (isDrydockError(error) && error.code === 'DD_LOCATE_UNSUPPORTED') return null
    throw error
  }
}

const integer = (value: string) => {
  if (!/^-?\d+$/.test(value)) throw new Error(`not an integer key bound: ${value}`)
  return value
}

/** `WHERE …` of one part (empty for a whole table); key bounds are checked integer literals. */
export function partWhere(range: PartRange | undefined): string {
  if (!range) return ''
  if (range.kind !== 'key') throw new Error('MySQL tables split by key only')
  const k = quoteIdent(range.column)
  const parts = [
    ...(range.from !== null ? [`${k} >= ${integer(range.from)}`] : []),
    ...(range.to !== null ? [`${k} < ${integer(range.to)}`] : []),
  ]
  return parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : ''
}
