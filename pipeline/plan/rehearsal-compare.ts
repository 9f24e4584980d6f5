import type { Manifest } from '../run-state/run-dir.ts'
import { loadbackPlace } from './loadback-basis.ts'

/** Stages and steps whose time changed by more than half since the previous rehearsal. */
export function compareWithPrevious(current: Manifest, previous: Manifest): string[] {
  const lines: string[] = []
  const note = (what: string, now: number, before: number) => {
    if (before < 200 && now < 200) return
    const ratio = now / Math.max(before, 1)
    if (ratio >= 1.5) lines.push(`${what} took ${ratio.toFixed(1)}× longer than last time (${secs(now)} vs ${secs(before)})`)
    else if (ratio <= 1 / 1.5) lines.push(`${what} took ${(1 / ratio).toFixed(1)}× less time than last time (${secs(now)} vs ${secs(before)})`)
  }
  // A load back into another place is another measurement, not a change.
  const place = loadbackPlace(current)
  const samePlace = place === loadbackPlace(previous)
  if (!samePlace) lines.push(`loadback and verify-hop2 not compared: this rehearsal loaded into ${place}, the previous one into ${loadbackPlace(previous)}`)
  for (const [stage, record] of Object.entries(current.stages)) {
    if (!samePlace && (stage === 'loadback' || stage === 'verify-hop2')) continue
    const before = previous.stages[stage as keyof Manifest['stages']]
    if (record?.ms !== undefined && before?.ms !== undefined) note(stage, record.ms, before.ms)
  }
  for (const step of current.steps) {
    const before = previous.steps.find((s) => s.index === step.index && s.name === step.name)
    if (before) note(`migrate step ${step.index} (${step.name})`, step.ms, before.ms)
  }
  return lines
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`
