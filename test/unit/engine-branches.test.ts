import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { engineNames } from '../../pipeline/drivers/engines.ts'

const pipeline = join(import.meta.dirname, '..', '..', 'pipeline')

function sourcesOutsideDrivers(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return path === join(pipeline, 'drivers') ? [] : sourcesOutsideDrivers(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

// Every engine name and URL scheme, compared with == / != either way round or matched by a case.
const names = [...new Set([...engineNames, 'postgresql', 'mariadb'])].join('|')
const quoted = `['"\`](?:${names})['"\`]`
const BRANCH = new RegExp(`[!=]==?\\s*${quoted}|${quoted}\\s*[!=]==?|case\\s+${quoted}`)

describe('engine branches', () => {
  it('the pattern sees a comparison with an engine name, whichever way round', () => {
    for (const line of ["x.engine === 'mysql'", "'postgres' !== engine", 'case "mariadb":', 'e == `postgresql`']) expect(BRANCH.test(line), line).toBe(true)
    for (const line of ["runDemo(engine: EngineName = 'postgres')", "{ schemes: ['mysql'] }"]) expect(BRANCH.test(line), line).toBe(false)
  })

  it('live in pipeline/drivers/ only: elsewhere code asks engineFacts() or the driver', () => {
    const files = sourcesOutsideDrivers(pipeline)
    expect(files.length).toBeGreaterThan(100)
    const found = files.flatMap((file) => readFileSync(file, 'utf8').split('\n')
      .map((line, i) => ({ at: `${relative(pipeline, file)}:${i + 1}`, line: line.trim() }))
      .filter(({ line }) => BRANCH.test(line)))
    expect(found).toEqual([])
  })
})
