import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { ParsedConfig } from '../config/config.ts'
import type { RunOptions } from '../run-state/context.ts'
import type { Driver } from '../drivers/driver.ts'
import { driverFor } from '../drivers/registry.ts'
import { describeEndpoint } from '../config/endpoint.ts'
import { DrydockError } from '../errors.ts'
import { setIdleLimit } from '../safety/faults/keep-alive.ts'
import { preflight } from '../safety/preflight/preflight.ts'
import { type Manifest, ManifestStore, runPaths } from '../run-state/run-dir.ts'
import { stagesFrom } from '../stages.ts'
import { settleInterruptedSwap } from '../stages/swap/settle-swap.ts'
import { executeRun, type UpgradeResult } from '../runner/execute-run.ts'
import { openRun } from '../run-state/run-of.ts'
import type { CommandLine } from './command-line.ts'
import { commandConfig } from './command-config.ts'
import { printUpgradeSummary, upgradeOptions } from './upgrade-options.ts'

/**
 * Continues a run that stopped (error, Ctrl-C, kill -9, lost connection) from its manifest:
 * finished stages and units are not redone, half-done units are redone from scratch.
 */
export async function resumeUpgrade(runDir: string, config: ParsedConfig, options: RunOptions): Promise<UpgradeResult> {
  const paths = runPaths(resolve(runDir))
  if (!existsSync(paths.manifest)) {
    throw new DrydockError('DD_RUN_NOT_FOUND', `no drydock run in ${paths.root} (manifest.json missing)`, {
      hint: 'pass the run directory printed by the run (drydock-runs/<run id>)',
    })
  }
  setIdleLimit(config.idleLimitSeconds)
  const manifest = ManifestStore.load(paths.manifest)
  const driver = await driverFor(config.source.engine)
  checkSameSource(manifest.data, config, driver)
  // Killed during the swap: the server tells whether it happened; a swapped run is then finished.
  await settleInterruptedSwap(driver, config.source, manifest)
  checkResumable(manifest.data, paths.root, options.from)
  await preflight(config, driver, { jobs: options.jobs })
  // A prestaged run's refresh follows new and dropped tables itself (and refuses other schema changes).
  const refreshing = manifest.data.prestage !== undefined && manifest.data.stages.refresh?.status !== 'done'
  if (manifest.data.swap?.status !== 'swapped' && !refreshing) await checkSchemaUnchanged(driver, config, manifest.data)
  await manifest.update((m) => {
    m.resumes = [...(m.resumes ?? []), { at: new Date().toISOString() }]
    delete m.verdict
    delete m.failure
    if (options.from === 'migrate') {
      // Everything from the migration on runs again, on staging as it was after hop 1.
      for (const stage of stagesFrom('migrate')) delete m.stages[stage]
      m.migrated = {}
      m.hooksRun = (m.hooksRun ?? []).filter((h) => h === 'beforeSnapshot')
    }
  })
  // A prestage killed before it finished goes on prestaging; a finished one goes on with the refresh.
  const prestage = manifest.data.prestageAsked === true && manifest.data.prestage === undefined
  return executeRun(config, driver, paths, manifest, { ...options, rehearse: manifest.data.mode === 'rehearsal', prestage }, true)
}

/** Production's schema must be the one the run began with, whatever stage it stopped at. */
async function checkSchemaUnchanged(driver: Driver, config: ParsedConfig, m: Manifest): Promise<void> {
  if (!m.snapshot?.fingerprint) return
  const session = await driver.connect(config.source)
  const now = await session.fingerprint(config.schemas).finally(() => session.close())
  if (now !== m.snapshot.fingerprint) {
    throw new DrydockError('DD_RESUME_SCHEMA_CHANGED', `the schema of ${describeEndpoint(config.source)} changed since run ${m.runId} began (tables, columns, constraints, indexes or views differ)`, {
      stage: 'preflight', hint: 'a resumed run cannot mix two schemas: --cleanup this run and start a new one',
    })
  }
}

function checkSameSource(m: Manifest, config: ParsedConfig, driver: Driver): void {
  if (m.checksumAlgorithm !== undefined && m.checksumAlgorithm !== driver.checksumAlgorithm) {
    throw new DrydockError('DD_RESUME_MISMATCH', `run ${m.runId} recorded checksums made by ${m.checksumAlgorithm}, and this drydock makes ${driver.checksumAlgorithm}: they cannot be compared`, {
      hint: `finish the run with the drydock version that began it (${m.provenance?.drydock.version ?? 'see its report'}), or --cleanup it and start a new one`,
    })
  }
  if (m.source !== describeEndpoint(config.source) || m.engine !== config.source.engine) {
    throw new DrydockError('DD_RESUME_MISMATCH', `run ${m.runId} was for ${m.source}, the config names ${describeEndpoint(config.source)}`, {
      hint: `resume with the config the run used (${m.configFile})`,
    })
  }
}

function checkResumable(m: Manifest, runDir: string, from?: 'migrate'): void {
  // A verified rehearsal may run its migration again from the checkpoint; a swapped run may not.
  if (from === 'migrate' && m.stages['verify-hop1']?.status !== 'done') {
    throw new DrydockError('DD_RESUME_FROM_MIGRATE_EARLY', `run ${m.runId} stopped before hop 1 verified staging: there is no migration to rerun yet`, {
      hint: `continue it with --resume ${runDir} (without --from)`,
    })
  }
  const rerunRehearsal = from === 'migrate' && m.mode === 'rehearsal' && !m.swap
  // Swapped by an attempt killed before it could record it (settled from the server): the resume finishes it.
  const unfinishedSwap = m.swap?.status === 'swapped' && m.verdict === undefined && from === undefined
  if (!rerunRehearsal && !unfinishedSwap && (m.verdict === 'verified' || m.swap || m.verdict === 'abandoned' || m.verdict === 'rolled-back')) {
    throw new DrydockError('DD_NOTHING_TO_RESUME', `run ${m.runId} is finished (${m.verdict ?? m.swap?.status}): there is nothing to resume`, {
      hint: 'start a new run, or use --rollback / --cleanup on this one',
    })
  }
}


/** `--resume RUN_DIR [--from migrate]`: the run's own config (or --config when it has none). */
export async function resumeCli(line: CommandLine): Promise<number> {
  const resumed = await openRun(line.values.resume!, line.values.config)
  if (!resumed.config) {
    throw new DrydockError('DD_CONFIG_MISSING', `run ${resumed.manifest.data.runId} cannot be resumed without its config: ${resumed.configNote}`, {
      stage: 'config', hint: `pass --config FILE with the run's migration, naming ${resumed.manifest.data.source}`,
    })
  }
  const config = await commandConfig(line, resumed.config)
  printUpgradeSummary(await resumeUpgrade(resumed.paths.root, config, upgradeOptions(line, config)))
  return 0
}
