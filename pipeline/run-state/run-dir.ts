import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Manifest } from './manifest.ts'
import { writeFileAtomic } from '../util/files.ts'

export type { Manifest, SourceRecord, StageRecord, StepRecord } from './manifest.ts'
export type { DumpSummary, FileRecord, MigratedRecord, PartRecord, TableRecord } from './table-records.ts'

/**
 * Every path of a run directory, in one place:
 *
 *   manifest.json            state of the run, rewritten atomically after each unit of work
 *   report.json, report.md   the verification report (report.html: the same as one page)
 *   schema/                  pg_dump / SHOW CREATE output applied to staging and the shadow
 *   dump/                    production rows as of the snapshot (the backup and resume point)
 *   migrated/                staging rows after the migration, loaded back into production
 *   steps/                   output of each migration step
 *   hooks/                   output of each config hook
 *   logs/events.jsonl        every event of the run, one JSON object a line
 *   logs/tools.log           output of pg_dump, psql, initdb, …
 *   staging/                 the ephemeral staging server, when there is one
 */
export function runPaths(root: string) {
  return {
    root,
    manifest: join(root, 'manifest.json'),
    reportJson: join(root, 'report.json'),
    reportMd: join(root, 'report.md'),
    reportHtml: join(root, 'report.html'),
    schemaDir: join(root, 'schema'),
    dumpDir: join(root, 'dump'),
    migratedDir: join(root, 'migrated'),
    stepsDir: join(root, 'steps'),
    hooksDir: join(root, 'hooks'),
    logsDir: join(root, 'logs'),
    events: join(root, 'logs', 'events.jsonl'),
    toolLog: join(root, 'logs', 'tools.log'),
    stagingDir: join(root, 'staging'),
  }
}

export type RunPaths = ReturnType<typeof runPaths>

export function createRunDirs(paths: RunPaths): void {
  for (const dir of [paths.root, paths.schemaDir, paths.dumpDir, paths.migratedDir, paths.stepsDir, paths.hooksDir, paths.logsDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  }
}

export function tableKey(t: { schema: string; name: string }): string {
  return `${t.schema}.${t.name}`
}

/** The manifest in memory, written through atomically on every save. */
export class ManifestStore {
  private writing: Promise<void> = Promise.resolve()
  constructor(readonly path: string, public data: Manifest) {}

  static load(path: string): ManifestStore {
    if (!existsSync(path)) throw new Error(`no manifest at ${path}`)
    return new ManifestStore(path, JSON.parse(readFileSync(path, 'utf8')) as Manifest)
  }

  /** Saves are serialised: parallel workers finishing units never interleave their writes. */
  save(): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(this.path, `${JSON.stringify(this.data, null, 2)}\n`))
    return this.writing
  }

  async update(change: (m: Manifest) => void): Promise<void> {
    change(this.data)
    await this.save()
  }
}

/** Run ids sort by time and make readable database and folder names: 20261121-064800. */
export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
}
