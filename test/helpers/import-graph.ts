/**
 * The import graph of a folder of TypeScript modules, and its cycles: what madge reports, without
 * the dependency. Every relative specifier counts, type-only ones too (`import type`, `export ...
 * from`, `import('...')` in types), because a cycle of types still ties the modules together.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/** Module (path relative to the root, `/`-separated) → the modules it imports, in source order. */
export type ImportGraph = Map<string, string[]>

// `import … from '…'`, `export … from '…'`, `} from '…'` closing a multi-line list, `import '…'`.
const STATIC = /^\s*(?:(?:import|export)\b[^'"]*?\bfrom|\}\s*from|import)\s*['"](\.{1,2}\/[^'"]+)['"]/gm
const DYNAMIC = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

function tsFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return tsFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The file a relative specifier names: as written, `.js` spelled for `.ts`, or without its extension. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier)
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]
  return candidates.find((path) => path.endsWith('.ts') && existsSync(path) && statSync(path).isFile())
}

export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map()
  const name = (path: string) => relative(root, path).split('\\').join('/')
  for (const file of tsFiles(root)) {
    const source = readFileSync(file, 'utf8')
    const specifiers = [...source.matchAll(STATIC), ...source.matchAll(DYNAMIC)].map((m) => m[1]!)
    const targets = specifiers
      .map((s) => resolveSpecifier(file, s))
      .filter((path): path is string => path !== undefined && !relative(root, path).startsWith('..'))
    graph.set(name(file), [...new Set(targets.map(name))])
  }
  return graph
}

/** Each back edge a depth-first walk meets, as the cycle it closes: `[a, b, …, a]`. */
export function importCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = []
  const done = new Set<string>()
  const path: string[] = []
  const onPath = new Set<string>()
  const visit = (module: string) => {
    path.push(module)
    onPath.add(module)
    for (const next of graph.get(module) ?? []) {
      if (onPath.has(next)) cycles.push([...path.slice(path.indexOf(next)), next])
      else if (!done.has(next)) visit(next)
    }
    path.pop()
    onPath.delete(module)
    done.add(module)
  }
  for (const module of [...graph.keys()].sort()) if (!done.has(module)) visit(module)
  return cycles
}

/** Every module `start` reaches through its imports, itself included. */
export function reachable(graph: ImportGraph, start: string): Set<string> {
  const seen = new Set<string>()
  const walk = (module: string) => {
    if (seen.has(module)) return
    seen.add(module)
    for (const next of graph.get(module) ?? []) walk(next)
  }
  walk(start)
  return seen
}
