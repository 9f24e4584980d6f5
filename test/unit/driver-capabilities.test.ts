import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { required } from '../../pipeline/drivers/capability.ts'
import { isDrydockError } from '../../pipeline/errors.ts'

const pipeline = join(import.meta.dirname, '..', '..', 'pipeline')
const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
  const path = join(dir, entry.name)
  return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : []
})

/** The members driver.ts marks optional, in Driver's and Session's capability interfaces. */
function optionalMembers(): string[] {
  const text = readFileSync(join(pipeline, 'drivers', 'driver.ts'), 'utf8')
  const interfaces = [...text.matchAll(/export interface (?:Driver|Session)\w* (?:extends [^{]*)?\{\n([\s\S]*?)\n\}/g)].map((m) => m[1]!)
  return [...new Set(interfaces.flatMap((body) => [...body.matchAll(/^ {2}(?:readonly )?(\w+)\?[(:]/gm)].map((m) => m[1]!)))]
}

describe('optional driver capabilities', () => {
  it('are found in driver.ts', () => {
    expect(optionalMembers()).toEqual(expect.arrayContaining(['schemaSwap', 'cloneDatabase', 'directReplicas', 'dropTriggers', 'checksumKeyRanges']))
  })

  it('are never forced with ! in pipeline/: callers check for them or take them with required()', () => {
    const forced = new RegExp(`\\.(?:${optionalMembers().join('|')})!`)
    const found = sources(pipeline).flatMap((file) => readFileSync(file, 'utf8').split('\n')
      .map((line, i) => ({ at: `${relative(pipeline, file)}:${i + 1}`, line: line.trim() }))
      .filter(({ line }) => forced.test(line)))
    expect(found).toEqual([])
  })

  it('required() hands back a method bound to its holder, and names a missing one as a drydock bug', async () => {
    class Holder {
      readonly n = 3
      times(k: number): number { return this.n * k }
      missing?(): void
    }
    expect(required(new Holder(), 'times')(2)).toBe(6)
    let caught: unknown
    try { required(new Holder(), 'missing') } catch (error) { caught = error }
    expect(isDrydockError(caught) && caught.code).toBe('DD_INTERNAL_CAPABILITY')
    expect((caught as Error).message).toBe("the engine's driver lacks missing, which this run relies on")
  })
})
