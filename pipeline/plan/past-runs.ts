import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Manifest } from '../run-state/run-dir.ts'

/** Finished, verified runs of this config in its run folder, newest first. */
export function pastRuns(runDir: string, configFile: string, options: { rehearsalsOnly?: boolean; before?: string } = {}): Manifest[] {
  if (!existsSync(runDir)) return []
  const runs: Manifest[] = []
  for (const id of readdirSync(runDir).sort().reverse()) {
    if (options.before && id >= options.before) continue
    const file = join(runDir, id, 'manifest.json')
    if (!existsSync(file)) continue
    try {
      const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest
      if (m.configFile !== configFile || m.verdict !== 'verified') continue
      if (options.rehearsalsOnly && m.mode !== 'rehearsal') continue
      runs.push(m)
    } catch {
      // a manifest being written or damaged is no estimate
    }
  }
  return runs
}

export function dumpedBytes(m: Manifest): number {
  return Object.values(m.tables).reduce((sum, t) => sum + (t.dump?.bytes ?? 0), 0)
}
