import { rm } from 'node:fs/promises'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import type { SchemaCopyOptions } from '../driver.ts'
import { childEnv, libpqEnv } from './postgres-env.ts'
import type { ClientTools } from './postgres-tools.ts'

/** A libpq conninfo naming only the database (the rest comes from the PG* environment). */
function dbConninfo(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/**
 * Post-data (indexes, primary keys and other constraints, foreign keys, triggers, rules,
 * materialized view refreshes) over `jobs` connections: pg_dump writes the section as a
 * custom-format archive, and `pg_restore -j` replays its TOC in dependency order, building
 * several indexes at once (each CREATE INDEX may use parallel maintenance workers too) and
 * adding foreign keys only once the indexes they need exist (pgcopydb and pg_restore's own
 * scheduler). The plain SQL of the same archive is kept in `saveAs` for the audit trail.
 * Unlike the one-transaction psql path, a failure part-way leaves the objects built so far on
 * the target: applying the section again needs the tables reloaded or the target rebuilt
 * (pg_restore --clean cannot drop a partition's inherited constraints, so it is no way out).
 */
export async function copyPostDataParallel(
  tools: ClientTools & { pgRestore: string }, from: Endpoint, to: Endpoint, options: SchemaCopyOptions & { jobs: number }, dumpArgs: string[],
): Promise<void> {
  const archive = `${options.saveAs}.pgdump`
  try {
    const dump = await execProgram(tools.pgDump, [...dumpArgs, '--format=custom', `--file=${archive}`], {
      env: childEnv(libpqEnv(from)), logFile: options.logFile,
    })
    if (dump.code !== 0) {
      throw new DrydockError('DD_SCHEMA_DUMP_FAILED', `pg_dump of the post-data schema of ${describeEndpoint(from)} failed: ${lastLines(dump.tail)}`, {
        stage: 'schema', hint: `see ${options.logFile}`,
      })
    }
    // The SQL the archive holds, for the run directory (pg_restore -f only converts, it connects nowhere).
    const script = await execProgram(tools.pgRestore, ['--file', options.saveAs, archive], { env: childEnv({}), logFile: options.logFile })
    if (script.code !== 0) {
      throw new DrydockError('DD_SCHEMA_DUMP_FAILED', `pg_restore could not read the post-data archive ${archive}: ${lastLines(script.tail)}`, {
        stage: 'schema', hint: `see ${options.logFile}`,
      })
    }
    const restore = await execProgram(tools.pgRestore, ['--exit-on-error', '--no-password', `--jobs=${options.jobs}`, `--dbname=${dbConninfo(to.database)}`, archive], {
      env: childEnv(libpqEnv(to)), logFile: options.logFile,
    })
    if (restore.code !== 0) {
      throw new DrydockError('DD_SCHEMA_APPLY_FAILED', `applying the post-data schema (${options.saveAs}) on ${describeEndpoint(to)} failed:\n${lastLines(restore.tail)}`, {
        hint: `indexes and constraints built before the failure stay on that database; full output in ${options.logFile}`,
      })
    }
  } finally {
    await rm(archive, { force: true })
  }
}
