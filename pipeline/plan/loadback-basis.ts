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
export function loadbackEstimate(
  previous: Manifest, config: ParsedConfig, scale: number, measuredSeconds: number | null, copy: { share: number; note?: string } = { share: 1 },
): { seconds: number | null; basis: string } {
  const run = `${previous.mode === 'rehearsal' ? 'rehearsal' : 'run'} ${previous.runId}`
  const onProduction = !previous.target.rehearsal
  let basis = `measured by ${run} loading into ${loadbackPlace(previous)}, scaled ×${scale.toFixed(2)} by data size`
  if (copy.note) basis += `; ${copy.note}`
  if (!onProduction) basis += "; production's own load back also pays its durability (fsync per commit, binary log or WAL shipped to replicas) and is likely slower"
  const copiedBytes = Object.values(previous.migrated).filter((t) => !t.kept).reduce((sum, t) => sum + (t.bytes ?? 0), 0) * scale * copy.share
  const maxRate = config.throttle?.maxRate
  if (maxRate && measuredSeconds !== null && copiedBytes / maxRate > measuredSeconds) {
    basis += `; raised to ${formatBytes(copiedBytes)} at maxRate ${formatBytes(maxRate)}/s, the throttle's floor`
    return { seconds: copiedBytes / maxRate, basis }
  }
  return { seconds: measuredSeconds === null ? null : measuredSeconds * copy.share, basis }
}

/**
 * The share of an earlier run's load back (and hop 2) that the planned run copies. A rehearsal
 * loads every table into its copy, while an in-place upgrade keeps the tables the migration left
 * unchanged live (keep-tables.ts) and copies only the rest: on Patchwork one table of fifteen.
 * The rehearsal's checksums before and after the migration say which tables those are. A view
 * or a foreign key may still force an unchanged table into the copy, so this is a lower bound
 * of the copy; the note says so.
 */
export function liveCopyShare(previous: Manifest, config: ParsedConfig, keepsLiveTables: boolean): { share: number; note?: string } {
  if (!canKeepLive(config, keepsLiveTables) || previous.mode !== 'rehearsal') return { share: 1 }
  const unchanged = new Set((previous.carryOver ?? []).filter((c) => c.status === 'unchanged').map((c) => c.table))
  const copied = Object.entries(previous.migrated).filter(([, t]) => !t.kept)
  const bytesOf = (list: typeof copied) => list.reduce((sum, [, t]) => sum + (t.bytes ?? 0), 0)
  const rehearsed = bytesOf(copied)
  const stayLive = copied.filter(([key]) => unchanged.has(key))
  if (rehearsed === 0 || stayLive.length === 0) return { share: 1 }
  const share = (rehearsed - bytesOf(stayLive)) / rehearsed
  return {
    share,
    note: `the rehearsal copied every table; the upgrade keeps the ${stayLive.length} it left unchanged live and copies ${(share * 100).toFixed(0)} % of its bytes (more if a view or a foreign key forces an unchanged table into the copy)`,
  }
}

/** Whether the planned run keeps the tables its migration leaves unchanged live (keep-tables.ts decides per table). */
export function canKeepLive(config: ParsedConfig, keepsLiveTables: boolean): boolean {
  return keepsLiveTables && config.target === 'in-place' && config.keepLive && !config.hooks.afterMigrate
}
