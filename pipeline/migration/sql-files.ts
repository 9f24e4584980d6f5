import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { DrydockError } from '../errors.ts'

/**
 * The files a `{ sql }` step names: one file, a folder (its *.sql files), or a glob whose
 * wildcards are in the last part (`migrations/*.sql`). Name order; none found is an error.
 */
export function expandSqlFiles(spec: string, stepName: string): string[] {
  let files: string[] = []
  if (!spec.includes('*') && !spec.includes('?')) {
    if (existsSync(spec) && statSync(spec).isDirectory()) {
      files = readdirSync(spec).filter((f) => f.endsWith('.sql')).map((f) => join(spec, f))
    } else if (existsSync(spec)) {
      files = [spec]
    }
  } else {
    const dir = dirname(spec)
    const pattern = new RegExp(`^${basename(spec).split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`)
    if (existsSync(dir)) files = readdirSync(dir).filter((f) => pattern.test(f)).map((f) => join(dir, f))
  }
  if (files.length === 0) {
    throw new DrydockError('DD_MIGRATION_FILES_MISSING', `migration step "${stepName}": no SQL file matches ${spec}`, {
      stage: 'migrate', hint: 'fix the path in the config (it is relative to the config file)',
    })
  }
  return files.sort()
}
