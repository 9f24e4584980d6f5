import type { ParsedConfig } from '../config/config.ts'
import type { Manifest } from '../run-state/run-dir.ts'
import { formatBytes } from '../util/files.ts'

/** Where a run's load back and hop 2 went, in words: the same words mean comparable timings. */
export function loadbackPlace(m: Manifest): string {
  const copy = m.target.rehearsal
  if (copy?.kind === 'staging') {
    return m.staging.kind === 'ephemeral'
      ? "a second database on drydock's ephemeral staging server (no fsync, no binary log or WAL archive, no replicas)"
      : `a second database on the staging server ${m.staging.endpoint ?? ''}`.trimEnd()
  }
  if (copy) return `${copy.endpoint} (rehearsalTarget)`
  return m.target.kind === 'in-place' ? 'the shadow database on the production server' : `the target ${m.target.endpoint}`
}

/**
 * How the plan's load back estimate was measured, and its floor under the config's `maxRate`:
 * the rows the run copied back (scaled like every stage) cannot move faster than the limit.
 */
export function loadbackEstimate(previous: Manifest, config: ParsedConfig, scale: number, measuredSeconds: number | null): { seconds: number | null; basis: string } {
  const run = `${previous.mode === 'rehearsal' ? 'rehearsal' : 'run'} ${previous.runId}`
  const onProduction = !previous.target.rehearsal
  let basis = `measured by ${run} loading into ${loadbackPlace(previous)}, scaled ×${scale.toFixed(2)} by data size`
  if (!onProduction) basis += "; production's own load back also pays its durability (fsync per commit, binary log or WAL shipped to replicas) and is likely slower"
  const copiedBytes = Object.values(previous.migrated).filter((t) => !t.kept).reduce((sum, t) => sum + (t.bytes ?? 0), 0) * scale
  const maxRate = config.throttle?.maxRate
  if (maxRate && measuredSeconds !== null && copiedBytes / maxRate > measuredSeconds) {
    basis += `; raised to ${formatBytes(copiedBytes)} at maxRate ${formatBytes(maxRate)}/s, the throttle's floor`
    return { seconds: copiedBytes / maxRate, basis }
  }
  return { seconds: measuredSeconds, basis }
}
