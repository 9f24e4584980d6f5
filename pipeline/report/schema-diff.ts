import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Statements of the schema before the migration (production's) and after it (the copy's), compared. */
export interface SchemaDiff {
  readonly removed: readonly string[]
  readonly added: readonly string[]
  /** Statements equal on both sides. */
  readonly same: number
}

/**
 * The schema change the migration made, statement by statement, from the schema SQL the run
 * applied (`schema/source-*.sql` before, `schema/migrated-*.sql` after). Session settings,
 * comments and dump-tool noise are left out; undefined until both sides exist.
 */
export function schemaDiff(schemaDir: string): SchemaDiff | undefined {
  const read = (label: string) => {
    const files = ['pre-data', 'post-data'].map((section) => join(schemaDir, `${label}-${section}.sql`)).filter((f) => existsSync(f))
    return files.length === 0 ? undefined : files.flatMap((f) => statements(readFileSync(f, 'utf8')))
  }
  const before = read('source')
  const after = read('migrated')
  if (!before || !after) return undefined
  const had = new Set(before)
  const has = new Set(after)
  return {
    removed: before.filter((s) => !has.has(s)),
    added: after.filter((s) => !had.has(s)),
    same: after.filter((s) => had.has(s)).length,
  }
}

const NOISE = /^(SET |SELECT pg_catalog\.set_config|\\|\/\*!|USE |LOCK TABLES|UNLOCK TABLES)/

/** SQL text as statements, whitespace collapsed; dollar-quoted bodies kept whole. */
export function statements(sql: string): string[] {
  const out: string[] = []
  let current: string[] = []
  let dollars = 0
  for (const raw of sql.split('\n')) {
    const line = raw.trim()
    if (current.length === 0 && (line === '' || line.startsWith('--') || NOISE.test(line))) continue
    current.push(line)
    dollars += (line.match(/\$[A-Za-z_]*\$/g) ?? []).length
    if (line.endsWith(';') && dollars % 2 === 0) {
      out.push(current.join(' ').replace(/\s+/g, ' '))
      current = []
      dollars = 0
    }
  }
  if (current.length) out.push(current.join(' ').replace(/\s+/g, ' '))
  return out
}
