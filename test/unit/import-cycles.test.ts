import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importCycles, importGraph, reachable } from '../helpers/import-graph.ts'

const pipeline = join(import.meta.dirname, '..', '..', 'pipeline')
const graph = importGraph(pipeline)

/** What the manifest's record types may rest on: nothing of a stage or feature. */
const RECORDS = /^run-state\/(manifest|[a-z-]+-records|run-dir)\.ts$/
const BELOW_FEATURES = new RegExp([
  RECORDS.source, /^util\//.source, /^drivers\/driver\.ts$/.source, /^safety\/fence\/fence-types\.ts$/.source,
  /^safety\/canary\/canary-types\.ts$/.source, /^drivers\/(engines|engine-facts|[a-z]+\/[a-z]+-facts)\.ts$/.source,
  /^config\/endpoint\.ts$/.source, /^errors\.ts$/.source, /^error-codes\.ts$/.source, /^stages\.ts$/.source,
  /^migration\/hooks\/hook-points\.ts$/.source,
].join('|'))

describe('pipeline imports', () => {
  it('has no import cycle, type-only imports included', () => {
    expect(graph.size).toBeGreaterThan(100)
    expect(importCycles(graph).map((cycle) => cycle.join(' > '))).toEqual([])
  })

  it('keeps run-dir.ts on the run-state records and util alone', () => {
    expect(graph.get('run-state/run-dir.ts')!.filter((m) => !RECORDS.test(m) && !/^util\//.test(m))).toEqual([])
  })

  it('keeps the manifest record types below the features', () => {
    const below = [...graph.keys()].filter((m) => RECORDS.test(m)).flatMap((m) => [...reachable(graph, m)])
    expect([...new Set(below)].filter((m) => !BELOW_FEATURES.test(m)).sort()).toEqual([])
  })
})

describe('import graph walker', () => {
  const root = mkdtempSync(join(tmpdir(), 'drydock-import-graph-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }

  it('finds cycles through type-only, re-export, multi-line and dynamic imports', () => {
    write('a.ts', "import type { B } from './b/b.ts'\nexport const a = 1\n")
    write('b/b.ts', "import {\n  c,\n} from '../c.ts'\nexport type B = number\n")
    write('c.ts', "export { a as c } from './a.ts'\n")
    write('d.ts', "export const load = () => import('./e.ts')\n")
    write('e.ts', "import './d.ts'\nimport { readFileSync } from 'node:fs'\n")
    write('leaf.ts', "// import { a } from './a.ts' in a comment is no import\nexport const leaf = 'from \\'./a.ts\\''\n")
    const cycles = importCycles(importGraph(root)).map((cycle) => cycle.join(' > '))
    expect(cycles).toEqual(['a.ts > b/b.ts > c.ts > a.ts', 'd.ts > e.ts > d.ts'])
  })
})
