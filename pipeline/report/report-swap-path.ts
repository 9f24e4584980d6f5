import type { ReportData } from './report-data.ts'

/**
 * How the copy went live (PostgreSQL chooses): a schema swap inside the live database or the
 * whole database, why, and for a schema swap whether every kept table kept its storage file.
 */
export function swapPathLine(r: ReportData): string | undefined {
  const path = r.swapPath
  if (!path) return undefined
  if (path.kind === 'database') return `swap: shadow database, swapped whole, because ${path.reason}`
  const files = Object.values(r.keep?.files ?? {})
  const same = files.filter((f) => f.before === f.after).length
  const storage = files.length > 0 ? `; kept tables' storage files (relfilenode) unchanged: ${same} of ${files.length}` : ''
  return `swap: schemas inside the live database, because ${path.reason}${storage}`
}

/** The in-place copy: a shadow database, or the shadow schemas of a schema swap. */
export function shadowLabel(r: ReportData): string {
  return r.target.shadow ?? (r.target.schemas ? `schemas ${Object.values(r.target.schemas).join(', ')}` : '–')
}
