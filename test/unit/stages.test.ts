import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { STAGE_RUNS } from '../../pipeline/runner/stage-runs.ts'
import { OTHER_STEPS, type RunStageName, runOrder, STAGES, stagesFrom, stagesNeeding, stageTitle } from '../../pipeline/stages.ts'

const names = STAGES.map((s) => s.name)
const runs = [{}, { prestaged: true }, { prestage: true }, { prestage: true, prestaged: true }] as const
const pipelineDir = join(import.meta.dirname, '../../pipeline')

function isSubsequence(part: readonly string[], whole: readonly string[]): boolean {
  let at = 0
  for (const name of part) {
    at = whole.indexOf(name, at)
    if (at < 0) return false
    at++
  }
  return true
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && f.name.endsWith('.ts'))
    .map((f) => join(f.parentPath, f.name))
}

/**
 * The longest stretch of stage-name literals in a text, each close to the one before and later
 * in the table: an order written down (a list, a union, a chain of checks).
 */
function longestOrderedStretch(text: string): string[] {
  let best: string[] = []
  let current: string[] = []
  let lastEnd = -Infinity
  for (const match of text.matchAll(/'([a-z0-9-]+)'/g)) {
    const name = match[1] as RunStageName
    if (!names.includes(name)) continue
    const last = current.at(-1) as RunStageName | undefined
    const follows = last !== undefined && match.index - lastEnd <= 40 && names.indexOf(name) > names.indexOf(last)
    current = follows ? [...current, name] : [name]
    lastEnd = match.index + match[0].length
    if (current.length > best.length) best = current
  }
  return best
}

describe('the table of stages', () => {
  it('names each stage once, apart from the names of work outside the stages', () => {
    expect(new Set(names).size).toBe(names.length)
    expect(names.filter((n) => (OTHER_STEPS as readonly string[]).includes(n))).toEqual([])
  })

  it('binds an implementation to every stage, and nothing else, in the runner', () => {
    expect(Object.keys(STAGE_RUNS).sort()).toEqual([...names].sort())
  })

  it('derives every order as a part of the table, in its order', () => {
    for (const run of runs) expect(isSubsequence(runOrder(run).map((s) => s.name), names)).toBe(true)
    for (const name of names) expect(isSubsequence(stagesFrom(name), names)).toBe(true)
    for (const resource of ['snapshot', 'staging', 'target'] as const) {
      for (const prestaged of [false, true]) expect(isSubsequence(stagesNeeding(resource, { prestaged }), names)).toBe(true)
    }
  })

  it('has every stage of a run take what it needs from an earlier stage of that run', () => {
    for (const run of runs) {
      const provided = new Set<string>()
      for (const stage of runOrder(run)) {
        for (const need of stage.needs) expect(provided.has(need), `${stage.name} needs ${need}`).toBe(true)
        for (const resource of stage.provides) provided.add(resource)
      }
    }
  })

  it('runs with --prestage only the stages ahead of the window, a prefix of the run', () => {
    const prestage = runOrder({ prestage: true }).map((s) => s.name)
    expect(prestage.length).toBeGreaterThan(0)
    expect(runOrder({}).map((s) => s.name).slice(0, prestage.length)).toEqual(prestage)
    expect(runOrder({ prestaged: true }).map((s) => s.name).slice(0, prestage.length)).toEqual(prestage)
  })

  it('has the refresh only in a prestaged run, as the first stage of its window, before the migration', () => {
    expect(runOrder({}).map((s) => s.name)).not.toContain('refresh')
    const prestaged = runOrder({ prestaged: true }).map((s) => s.name)
    expect(prestaged[runOrder({ prestage: true }).length]).toBe('refresh')
    expect(stagesFrom('migrate')).not.toContain('refresh')
  })

  it('asks for confirmation before the first stage that writes production, and nowhere else', () => {
    const firstWrite = STAGES.find((s) => s.production === 'writes')!
    expect(STAGES.filter((s) => 'confirmBefore' in s).map((s) => s.name)).toEqual([firstWrite.name])
    const readsOnly = STAGES.slice(0, STAGES.indexOf(firstWrite))
    expect(readsOnly.every((s) => s.production !== 'writes')).toBe(true)
  })

  it('gives every stage a title that starts with its name', () => {
    for (const facts of [{ steps: 3, inPlace: true, rehearse: false }, { steps: 0, inPlace: false, rehearse: true }]) {
      for (const stage of STAGES) expect(stageTitle(stage, facts)).toMatch(new RegExp(`^${stage.name}: `))
    }
  })

  it('is where the stage order is written, and nowhere else in pipeline/', () => {
    const stretches = sourceFiles(pipelineDir)
      .filter((file) => !file.endsWith('/stages.ts'))
      .map((file) => ({ file, stretch: longestOrderedStretch(readFileSync(file, 'utf8')) }))
      .filter(({ stretch }) => stretch.length >= 3)
    expect(stretches).toEqual([])
  })

  it('knows every stage the runner and the run commands name', () => {
    const text = [join('commands', 'run-command.ts'), join('commands', 'resume-command.ts'), ...readdirSync(join(pipelineDir, 'runner')).map((f) => join('runner', f))]
      .map((file) => readFileSync(join(pipelineDir, file), 'utf8')).join('\n')
    const used = [...text.matchAll(/\b(?:m|data)\.stages(?:\?\.|\.)?(?:([a-z]+)\b|\['([a-z0-9-]+)'\])|stagesFrom\('([a-z0-9-]+)'\)/g)]
      .map((m) => m[1] ?? m[2] ?? m[3]!)
    expect(used.length).toBeGreaterThan(0)
    for (const name of used) expect(names).toContain(name)
  })
})
