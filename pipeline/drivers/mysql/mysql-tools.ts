import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import { type Flavor, parseFlavor } from './mysql-connect.ts'
import { clientEnv } from './mysql-env.ts'

/** Where MySQL and MariaDB binaries live on common systems, after PATH. */
export function binaryFolders(): string[] {
  return [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/mysql/bin', '/usr/local/mariadb/bin',
    '/opt/homebrew/opt/mariadb/bin', '/opt/homebrew/opt/mysql/bin', '/usr/local/opt/mariadb/bin', '/usr/local/opt/mysql/bin',
  ].filter((f, i, all) => all.indexOf(f) === i)
}

export function findBinary(names: readonly string[]): string | undefined {
  for (const name of names) {
    for (const folder of binaryFolders()) {
      const path = join(folder, name)
      if (existsSync(path)) return path
    }
  }
  return undefined
}

/** The version a binary reports (`Ver 10.11.19-MariaDB…`, `Ver 8.0.36 for Linux…`). */
export function binaryFlavor(path: string): Flavor | undefined {
  try {
    const out = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 })
    const match = /Ver\s+(?:\d+\.\d+\s+Distrib\s+)?(\d+\.\d+\.\d+)/.exec(out)
    return match ? parseFlavor(`${match[1]}${/MariaDB/i.test(out) ? '-MariaDB' : ''}`) : undefined
  } catch {
    return undefined
  }
}

/** The command-line client, the server's own kind first. */
export function findClient(mariadb: boolean): string {
  const client = findBinary(mariadb ? ['mariadb', 'mysql'] : ['mysql', 'mariadb'])
  if (!client) {
    throw new DrydockError('DD_MYSQL_CLIENT_MISSING', 'no mysql or mariadb command-line client found (looked in PATH and the usual folders)', {
      stage: 'preflight',
      hint: 'install it: "apt-get install mariadb-client" (Debian/Ubuntu), "dnf install mariadb" or "brew install mariadb"; for MySQL, "mysql-client"',
    })
  }
  return client
}

/**
 * Runs a SQL file with the client in batch mode, which stops at the first error. The
 * password travels in MYSQL_PWD, the file on stdin (through sh, by name, never parsed).
 * MySQL commits DDL as it goes: a file that fails half-way is not rolled back.
 */
export async function runSqlFile(mariadb: boolean, ep: Endpoint, file: string, logFile: string): Promise<void> {
  const client = findClient(mariadb)
  const args = ['--no-defaults', '--protocol=TCP', `--host=${ep.host}`, `--port=${ep.port}`, `--user=${ep.user}`,
    `--database=${ep.database}`, '--default-character-set=utf8mb4', '--batch']
  const result = await execProgram('/bin/sh', ['-c', 'exec "$@" < "$DRYDOCK_SQL_FILE"', 'sh', client, ...args], {
    env: { ...clientEnv(ep), DRYDOCK_SQL_FILE: file }, logFile,
  })
  if (result.code !== 0) {
    throw new DrydockError('DD_MIGRATION_FAILED', `SQL file ${file} failed on ${describeEndpoint(ep)}:\n${lastLines(result.tail)}`, {
      hint: `statements before the failing one stay applied (MySQL commits DDL at once); full output in ${logFile}`,
    })
  }
}
