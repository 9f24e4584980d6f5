import type { TableChecksum } from '../drivers/driver.ts'
import type { Manifest, PartRecord } from '../run-state/run-dir.ts'
import { migrationReport } from './report-migration.ts'
import { objectRows } from './report-objects.ts'
import type { SchemaDiff } from './schema-diff.ts'
import { refreshReport } from './report-refresh.ts'
import { holdings, nextCommands, signoffFacts } from './report-signoff.ts'

/** `kept`: hop 2 only, a table the migration left unchanged that stayed live (not copied). */
export type Check = 'ok' | 'mismatch' | 'not-run' | 'kept'

function check(a?: TableChecksum, b?: TableChecksum): Check {
  if (!a || !b) return 'not-run'
  return a.rows === b.rows && a.digest === b.digest ? 'ok' : 'mismatch'
}

/**
 * A table's files: `file` and `sha256` name the one file of a table that moved whole; a table
 * split into parts lists each part's file, rows, bytes and sha256 under `files`.
 */
function filesOf(parts: readonly PartRecord[] | undefined) {
  const files = (parts ?? []).flatMap((p) => (p.file ? [{ ...p.file, ...(p.range ? { range: p.range } : {}) }] : []))
  const single = files.length === 1 ? files[0]! : undefined
  return { file: single?.file ?? null, sha256: single?.sha256 ?? null, files }
}

/**
 * report.json: a stable, versioned shape derived from the manifest (schemaVersion bumps on change).
 * `now`: when the report is written, the end of this attempt's wall clock.
 */
export function reportData(m: Manifest, now = new Date(), runDir?: string) {
  const attemptStart = m.resumes?.at(-1)?.at ?? m.createdAt
  const hop1 = Object.values(m.tables).map((t) => ({
    table: `${t.schema}.${t.name}`,
    carried: t.carried,
    rows: t.source?.rows ?? t.dump?.rows ?? null,
    bytes: t.dump?.bytes ?? 0,
    ...filesOf(t.parts),
    production: t.source ?? null,
    staging: t.staging ?? null,
    check: t.carried ? check(t.source, t.staging) : (t.staging ? (t.staging.rows === 0 ? 'ok' : 'mismatch') : 'not-run') as Check,
  }))
  const hop2 = Object.values(m.migrated).map((t) => ({
    table: `${t.schema}.${t.name}`,
    rows: t.migrated?.rows ?? t.dump?.rows ?? null,
    bytes: t.dump?.bytes ?? 0,
    ...filesOf(t.parts),
    staging: t.migrated ?? null,
    production: t.shadow ?? null,
    check: t.kept ? 'kept' as const : check(t.migrated, t.shadow),
  }))
  const stages = Object.entries(m.stages).map(([name, s]) => ({ name, status: s!.status, ms: s!.ms ?? null }))
  return {
    schemaVersion: 3,
    runId: m.runId,
    verdict: m.verdict ?? 'incomplete',
    engine: m.engine,
    source: m.source,
    sourceVersion: m.sourceVersion ?? null,
    checksumAlgorithm: m.checksumAlgorithm ?? null,
    staging: m.staging,
    target: m.target,
    snapshot: m.snapshot ?? null,
    stages,
    totalMs: stages.reduce((sum, s) => sum + (s.ms ?? 0), 0),
    // Pre-flight, canary, hooks and the report itself are part of the window, not of any stage.
    attempt: { startedAt: attemptStart, endedAt: now.toISOString(), ms: Math.max(0, now.getTime() - Date.parse(attemptStart)), resumed: (m.resumes?.length ?? 0) > 0 },
    hop1: {
      tables: hop1, verified: hop1.filter((t) => t.check === 'ok').length,
      sequences: m.sequenceChecks?.hop1 ?? null, materializedViews: m.materializedViewChecks?.hop1 ?? null,
      objects: objectRows({ sequences: m.sequenceChecks?.hop1 ?? null, materializedViews: m.materializedViewChecks?.hop1 ?? null }),
    },
    steps: m.steps,
    hop2: {
      tables: hop2, verified: hop2.filter((t) => t.check === 'ok' || t.check === 'kept').length,
      sequences: m.sequenceChecks?.hop2 ?? null, materializedViews: m.materializedViewChecks?.hop2 ?? null,
      // Each sequence and materialized view with its value on both sides, differing ones first.
      objects: objectRows({ sequences: m.sequenceChecks?.hop2 ?? null, materializedViews: m.materializedViewChecks?.hop2 ?? null }, m.sequencesBehind),
    },
    // Sequences the migration left at or below their column's largest value, with the fix.
    sequencesBehind: m.sequencesBehind ?? [],
    // Load back only what changed: the tables left live, why others were copied, time saved.
    keep: m.keep ?? null,
    swapPath: m.swapPath ?? null,
    // Bytes of replication log the load back and swap wrote, and how each replica got its copy.
    replication: m.replication ?? null,
    // Row transforms, expectations, tables carried over unchanged, staging checkpoint.
    ...migrationReport(m),
    // --prestage, the refresh at the window's start, and the window itself.
    ...refreshReport(m),
    swap: m.swap ?? null,
    failure: m.failure ?? null,
    // Sign-off: who, where, which drydock and config, the fences, what each database holds, what to do next.
    provenance: m.provenance ?? null,
    signoff: signoffFacts(m, { startedAt: attemptStart, endedAt: now.toISOString() }),
    holdings: holdings(m),
    next: nextCommands(m, runDir ?? m.runId),
    /** Per step index, the end of its log (filled by writeReport, which reads the run directory). */
    stepLogs: {} as Record<string, string>,
    /** The migration's schema change, statement by statement (filled by writeReport from the run's schema files). */
    schemaDiff: null as SchemaDiff | null,
  }
}

export type ReportData = ReturnType<typeof reportData>
