// Top self-time functions of a V8 .cpuprofile (node --cpu-prof), grouped by function and file.
import { readFileSync } from 'node:fs'

export function topFunctions(file, limit = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  const dt = profile.timeDeltas
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i])
    const f = n.callFrame
    const url = f.url.replace(/^file:\/\//, '').replace(/.*\/(node_modules\/)/, '$1').replace(/.*\/(pipeline\/)/, '$1')
    const key = `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim()
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return {
    totalMs: Math.round(total / 1000),
    top: [...self].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), share: us / total })),
  }
}
