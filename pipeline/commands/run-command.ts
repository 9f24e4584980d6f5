import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ParsedConfig } from '../config/config.ts'
import type { RunOptions } from '../run-state/context.ts'
import { sourceRecord } from '../run-state/run-of.ts'
import { driverFor } from '../drivers/registry.ts'
import { describeEndpoint } from '../config/endpoint.ts'
import { setIdleLimit } from '../safety/faults/keep-alive.ts'
import { shadowName } from '../stages/loadback/shadow-names.ts'
import { preflight } from '../safety/preflight/preflight.ts'
import { provenance } from '../report/run-provenance.ts'
import { createRunDirs, ManifestStore, newRunId, runPaths } from '../run-state/run-dir.ts'
import { executeRun, type UpgradeResult } from '../runner/execute-run.ts'
import { pastRuns } from '../plan/past-runs.ts'
import { compareWithPrevious } from '../plan/rehearsal-compare.ts'
import type { CommandLine } from './command-line.ts'
import { commandConfig } from './command-config.ts'
import { printUpgradeSummary, upgradeOptions } from './upgrade-options.ts'

/**
 * The whole offline upgrade: snapshot → staging → dump → load → verify → migrate →
 * (confirm) → load back → verify → swap → report. Production is only read until the load
 * back, and the live database only changes at the swap, after both hops verified.
 */
export async function runUpgrade(config: ParsedConfig, options: RunOptions): Promise<UpgradeResult> {
  setIdleLimit(config.idleLimitSeconds)
  const driver = await driverFor(config.source.engine)
  let runId = newRunId()
  for (let n = 2; existsSync(join(config.runDir, runId)); n++) runId = `${newRunId()}-${n}`
  const info = await preflight(config, driver, { newRun: { runId }, jobs: options.jobs })
  const paths = runPaths(join(config.runDir, runId))
  createRunDirs(paths)
  const manifest = new ManifestStore(paths.manifest, {
    version: 1, runId, createdAt: new Date().toISOString(), engine: driver.engine, configFile: config.file,
    source: describeEndpoint(config.source), sourceEndpoint: sourceRecord(config.source), sourceVersion: info.source.version, checksumAlgorithm: driver.checksumAlgorithm,
    staging: { kind: config.staging === 'ephemeral' ? 'ephemeral' : 'url' },
    target: config.target === 'in-place'
      ? { kind: 'in-place', endpoint: describeEndpoint(config.source), shadow: shadowName(config.source.database, runId) }
      : { kind: 'url', endpoint: describeEndpoint(config.target) },
    mode: options.rehearse ? 'rehearsal' : 'upgrade', provenance: provenance(config),
    ...(options.prestage ? { prestageAsked: true } : {}),
    stages: {}, tables: {}, migrated: {}, steps: [],
  })
  await manifest.save()
  return executeRun(config, driver, paths, manifest, options, false, info.checks.filter((c) => c.status === 'warn'))
}


/** `[--rehearse] [--prestage]`: a new run; a rehearsal is compared with the one before it. */
export async function runCli(line: CommandLine): Promise<number> {
  const config = await commandConfig(line)
  const result = await runUpgrade(config, upgradeOptions(line, config))
  printUpgradeSummary(result)
  if (line.values.prestage) {
    process.stdout.write(`prestaged: staging holds production as of ${result.report.snapshot?.takenAt ?? 'the snapshot'}, verified.\nIn the window, stop the application, then run: npx zx scripts/offline-upgrade.mjs --resume ${result.runDir}\n`)
  } else if (line.values.rehearse) {
    process.stdout.write(`${rehearsalComparison(config, result)}\n`)
  }
  return 0
}

function rehearsalComparison(config: ParsedConfig, result: UpgradeResult): string {
  const previous = pastRuns(config.runDir, config.file, { rehearsalsOnly: true, before: result.report.runId })[0]
  if (!previous) return 'first rehearsal of this config: its timings are the baseline for --plan and later rehearsals'
  const changes = compareWithPrevious(ManifestStore.load(join(result.runDir, 'manifest.json')).data, previous)
  return `compared with rehearsal ${previous.runId}: ${changes.length ? `\n  ${changes.join('\n  ')}` : 'no stage changed by more than 1.5×'}`
}
