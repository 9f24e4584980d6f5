import type { HookPoint } from './migration/hooks/hook-points.ts'

/** What a stage leaves for later ones: the read snapshot of production, the staging database, the copy loaded back. */
export type Resource = 'snapshot' | 'staging' | 'target'

/** What shapes a title: facts of the config and the run, not the config itself (this file imports no stage code). */
export interface TitleFacts {
  steps: number
  inPlace: boolean
  rehearse: boolean
}

interface StageRow {
  readonly name: string
  readonly title: string | ((facts: TitleFacts) => string)
  /** What the stage does to production: reads it, writes it, or leaves it alone. */
  readonly production: 'reads' | 'writes' | 'none'
  /** Taken from earlier stages; on resume, a stage the run no longer needs is not set up again. */
  readonly needs: readonly Resource[]
  readonly provides: readonly Resource[]
  /** Also run by --prestage, ahead of the window (beside the running application). */
  readonly prestage?: true
  /** Only in a run prestaged earlier: it opens that run's window. */
  readonly onlyPrestaged?: true
  /** Hook point run once just before this stage (not by --prestage: its hooks wait for the window). */
  readonly hookBefore?: HookPoint
  /** The operator confirms before this stage, the first to write production; the snapshot is closed first. */
  readonly confirmBefore?: true
}

/** The stages of a run, in the order they run: the one place this order is written. */
export const STAGES = [
  {
    name: 'snapshot', title: 'snapshot: consistent read of production',
    production: 'reads', needs: [], provides: ['snapshot'], prestage: true, hookBefore: 'beforeSnapshot',
  },
  {
    name: 'staging', title: 'staging: standalone database with the production schema',
    production: 'reads', needs: ['snapshot'], provides: ['staging'], prestage: true,
  },
  { name: 'dump', title: 'dump: production tables to files', production: 'reads', needs: ['snapshot', 'staging'], provides: [], prestage: true },
  { name: 'load', title: 'load: files into staging', production: 'reads', needs: ['snapshot', 'staging'], provides: [], prestage: true },
  {
    name: 'verify-hop1', title: 'verify-hop1: production snapshot ≡ staging',
    production: 'reads', needs: ['snapshot', 'staging'], provides: [], prestage: true,
  },
  {
    // Takes a snapshot of its own: production as it is now, not as it was at the prestage.
    name: 'refresh', title: 'refresh: production since the prestage, changed parts copied into staging again',
    production: 'reads', needs: ['staging'], provides: ['snapshot'], onlyPrestaged: true,
  },
  { name: 'migrate', title: (f) => `migrate: ${f.steps} step(s) on staging`, production: 'none', needs: ['staging'], provides: [] },
  {
    name: 'loadback', title: 'loadback: migrated data into production beside the live data',
    production: 'writes', needs: ['staging'], provides: ['target'], hookBefore: 'afterMigrate', confirmBefore: true,
  },
  {
    name: 'verify-hop2', title: 'verify-hop2: migrated staging ≡ production copy',
    production: 'reads', needs: ['staging', 'target'], provides: [],
  },
  { name: 'swap', title: swapTitle, production: 'writes', needs: ['target'], provides: [], hookBefore: 'beforeSwap' },
] as const satisfies readonly StageRow[]

export type Stage = (typeof STAGES)[number]
export type RunStageName = Stage['name']

/** Names for work outside a run's stages, used in errors and logs like stage names. */
export const OTHER_STEPS = ['config', 'preflight', 'schema', 'verify', 'rollback', 'cleanup', 'report', 'hooks'] as const

/** Names a stage in errors, logs and the report. */
export type StageName = RunStageName | (typeof OTHER_STEPS)[number]

const rows: readonly (StageRow & { name: RunStageName })[] = STAGES

/** The stages a run goes through: --prestage stops before the window; the refresh only in a prestaged run. */
export function runOrder(run: { prestage?: boolean; prestaged?: boolean }): (StageRow & { name: RunStageName })[] {
  return rows.filter((s) => (run.prestage ? s.prestage : !s.onlyPrestaged || run.prestaged))
}

/** The stages from `first` on, in order: what `--resume --from migrate` runs again. */
export function stagesFrom(first: RunStageName): RunStageName[] {
  return rows.slice(rows.findIndex((s) => s.name === first)).map((s) => s.name)
}

/** The stages of a run (prestaged or not) that need what `resource` is, in order. */
export function stagesNeeding(resource: Resource, run: { prestaged: boolean }): RunStageName[] {
  return runOrder(run).filter((s) => s.needs.includes(resource)).map((s) => s.name)
}

export function stageTitle(stage: StageRow, facts: TitleFacts): string {
  return typeof stage.title === 'string' ? stage.title : stage.title(facts)
}

function swapTitle(facts: TitleFacts): string {
  if (!facts.inPlace) return 'swap: none (separate target)'
  return facts.rehearse ? 'swap: rehearsal, production not swapped (shadow dropped)' : 'swap: shadow becomes live, old data kept'
}
