import { createHash } from 'node:crypto'

const MAX_NAME = 63

/** `<db>_<suffix>`, shortened with a hash when it would pass the 63-byte identifier limit. */
export function derivedName(database: string, suffix: string): string {
  const name = `${database}_${suffix}`
  if (Buffer.byteLength(name) <= MAX_NAME) return name
  const hash = createHash('sha256').update(database).digest('hex').slice(0, 8)
  let head = database
  while (Buffer.byteLength(`${head}_${hash}_${suffix}`) > MAX_NAME) head = head.slice(0, -1)
  return `${head}_${hash}_${suffix}`
}

/** The database the migrated data is loaded into, beside the live one. */
export function shadowName(database: string, runId: string): string {
  return derivedName(database, `dd_shadow_${runId.replace('-', '')}`)
}

/** The name the live database is kept under after the swap, for rollback. */
export function backupName(database: string, runId: string): string {
  return derivedName(database, `dd_backup_${runId.replace('-', '')}`)
}

/** Where a rolled-back (rejected) upgrade is kept. */
export function rejectedName(database: string, runId: string): string {
  return derivedName(database, `dd_rejected_${runId.replace('-', '')}`)
}
