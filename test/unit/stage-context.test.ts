import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { STAGE_RUNS } from '../../pipeline/runner/stage-runs.ts'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import { missingNeeds, stageContext } from '../../pipeline/run-state/stage-context.ts'
import type { Endpoint } from '../../pipeline/config/endpoint.ts'
import type { Snapshot } from '../../pipeline/drivers/driver.ts'
import { DrydockError } from '../../pipeline/errors.ts'
import type { dumpStage } from '../../pipeline/stages/dump/dump-stage.ts'
import { STAGES } from '../../pipeline/stages.ts'

const pipelineDir = join(import.meta.dirname, '../../pipeline')

/** A context with only the fields the narrowing reads: no server, no run directory. */
function contextWith(fields: { snapshot?: Snapshot; staging?: Endpoint; loadTarget?: Endpoint }): RunContext {
  return { ...fields } as unknown as RunContext
}

const endpoint = { engine: 'postgres', host: '127.0.0.1', port: 5432, user: 'u', database: 'd' } as unknown as Endpoint
const snapshot = { id: 's', position: 'p' } as unknown as Snapshot

// Checked by tsc, not at run time: the staging stage runs before staging exists, so a stage
// that needs staging cannot be bound to it.
// @ts-expect-error dumpStage needs staging, which the staging stage's row does not
export const stagingNeedsNoStaging: (typeof STAGE_RUNS)['staging']['run'] = (null as unknown as typeof dumpStage)

describe('the runner narrowing a context to a stage', () => {
  it('throws the internal error naming what a stage needs and lacks', () => {
    const ctx = contextWith({ snapshot })
    let caught: unknown
    try {
      stageContext('dump', ctx)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(DrydockError)
    expect((caught as DrydockError).code).toBe('DD_INTERNAL_STAGE_NEEDS')
    expect((caught as DrydockError).ctx.stage).toBe('dump')
    expect((caught as DrydockError).message).toContain('staging')
    expect((caught as DrydockError).message).not.toContain('snapshot')
  })

  it('names the production copy for a stage needing the target', () => {
    expect(() => stageContext('swap', contextWith({ snapshot, staging: endpoint }))).toThrow(/production copy/)
  })

  it('hands back the same context when every need is set', () => {
    const ctx = contextWith({ snapshot, staging: endpoint, loadTarget: endpoint })
    for (const stage of STAGES) expect(stageContext(stage.name, ctx)).toBe(ctx)
    expect(stageContext('snapshot', contextWith({}))).toBeDefined()
  })

  it('checks exactly the needs of each row of the table', () => {
    for (const stage of STAGES) expect(missingNeeds(stage.name, contextWith({}))).toEqual([...stage.needs])
  })
})

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && f.name.endsWith('.ts'))
    .map((f) => join(f.parentPath, f.name))
}

/** `x!` on a context field, or on any field named like one (`c.staging!`, `m.snapshot!`); `!=` is a comparison. */
const ASSERTED = [/\bctx\.[A-Za-z]+!(?!=)/, /\.(snapshot|staging|loadTarget|ephemeral)!(?!=)/]

describe('stage code', () => {
  it('reads what its stage needs from the typed context, with no non-null assertion', () => {
    const found = sourceFiles(pipelineDir).flatMap((file) => readFileSync(file, 'utf8').split('\n').flatMap((line, i) =>
      ASSERTED.some((pattern) => pattern.test(line)) ? [`${relative(pipelineDir, file)}:${i + 1}: ${line.trim()}`] : []))
    expect(found).toEqual([])
  })
})
