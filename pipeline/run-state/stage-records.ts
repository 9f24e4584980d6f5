/** What the manifest keeps of the stages' own work: checkpoint, transform steps, provenance. */

export type CheckpointKind = 'database-copy' | 'data-directory' | 'dump-files'

/** The staging checkpoint taken after hop 1 (pipeline/stages/checkpoint). */
export interface CheckpointRecord {
  kind: CheckpointKind
  /** The copy's database name, the data directory copy's folder, or the dump folder. */
  location: string
  savedAt: string
  ms: number
  /** Size of the copy, when drydock made one (data directory). */
  bytes?: number
  restores?: { at: string; ms: number; verified: boolean }[]
}

/** Counts in and out of one transform step (pipeline/migration/transform): manifest (steps[].transform) and report. */
export interface TransformRecord {
  name: string
  file: string
  sources: { table: string; rows: number; bytes: number; chunks: number; joined?: string }[]
  targets: { table: string; rows: number; bytes: number }[]
  lookups: { name: string; table: string; rows: number }[]
  rowsIn: number
  rowsOut: number
  bytesIn: number
  bytesOut: number
  workers: number
  ms: number
}

/** Who ran the upgrade, where, with which drydock and which config: the report's sign-off block (pipeline/report/run-provenance.ts). */
export interface Provenance {
  user: string
  host: string
  drydock: { version: string; commit: string | null; dirty: boolean }
  /** sha256 of the config file's bytes, so the signed-off config can be matched to the file. */
  configSha256: string | null
  /** The config as drydock understood it, with every password and secret-looking value removed. */
  config: Record<string, unknown>
}
