import type { ResourceField, RunContext, StageContext } from './context.ts'
import { DrydockError } from '../errors.ts'
import { type Resource, type RunStageName, STAGES } from '../stages.ts'

const FIELD_OF: { readonly [R in Resource]: ResourceField[R] } = { snapshot: 'snapshot', staging: 'staging', target: 'loadTarget' }

const DESCRIBED: Readonly<Record<Resource, string>> = { snapshot: 'the snapshot of production', staging: 'staging', target: 'the production copy' }

/** The resources a stage's row needs that the context lacks. */
export function missingNeeds(stage: RunStageName, ctx: RunContext): Resource[] {
  const row = STAGES.find((s) => s.name === stage)!
  return row.needs.filter((need) => ctx[FIELD_OF[need]] === undefined)
}

/**
 * The one check between the stage table and the stages: everything the row of `stage` needs is
 * set, so the stage may read it without a check of its own. A missing one is a bug in drydock.
 */
export function stageContext<S extends RunStageName>(stage: S, ctx: RunContext): StageContext<S> {
  const missing = missingNeeds(stage, ctx)
  if (missing.length > 0) {
    throw new DrydockError('DD_INTERNAL_STAGE_NEEDS', `stage ${stage} was about to run without ${missing.map((m) => DESCRIBED[m]).join(' and ')}`, {
      stage, hint: 'this is a bug in drydock: report it with logs/events.jsonl',
    })
  }
  return ctx as StageContext<S>
}
