import { existsSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ParsedConfig } from '../config/config.ts'
import type { Driver } from '../drivers/driver.ts'
import { DrydockError } from '../errors.ts'
import type { ManifestStore, RunPaths } from './run-dir.ts'
import { lockRunDir } from './run-dir-lock.ts'
import { discardCheckpoint } from '../stages/checkpoint/checkpoint.ts'
import type { RunContext } from './context.ts'
import { dropRehearsalCopy } from '../stages/loadback/rehearsal-target.ts'
import { dropInPlaceCopy } from '../stages/loadback/copy-target.ts'

/**
 * `--cleanup` on a run that stopped before its swap: discards what it kept for --resume
 * (its staging, a half-loaded shadow or target). Production's live database is not touched.
 * Returns what was removed, for the operator.
 */
export async function abandonRun(driver: Driver, config: ParsedConfig, paths: RunPaths, manifest: ManifestStore): Promise<string[]> {
  const m = manifest.data
  if (m.verdict === 'verified' || m.swap) {
    throw new DrydockError('DD_NOT_ABANDONABLE', `run ${m.runId} finished (${m.verdict ?? m.swap?.status}); there is nothing to abandon`, {
      stage: 'cleanup', hint: 'use --cleanup on a swapped run to drop its backup',
    })
  }
  const unlock = lockRunDir(paths.root)
  const removed: string[] = []
  try {
    if (config.staging !== 'ephemeral' && m.staging.created) {
      await driver.dropDatabase(config.staging, config.staging.database)
      removed.push(`staging database ${config.staging.database}`)
    }
    if (existsSync(paths.stagingDir)) {
      await stopLeftoverServer(driver, config, paths)
      removed.push(`ephemeral staging in ${paths.stagingDir}`)
    }
    if (m.checkpoint) {
      const where = m.checkpoint.location
      await discardCheckpoint({ driver, config, manifest, paths } as unknown as RunContext)
      removed.push(`staging checkpoint ${where}`)
    }
    if (m.target.rehearsal) {
      // On an ephemeral staging server the copy went with the server's files above.
      const where = await dropRehearsalCopy(driver, config, manifest)
      if (where) removed.push(`unfinished rehearsal copy ${m.target.rehearsal.database} on ${where}`)
    } else if (m.target.shadowCreated) {
      const copy = config.target === 'in-place' ? await dropInPlaceCopy(driver, config.source, m) : config.target.database
      if (config.target !== 'in-place') await driver.dropDatabase(config.target, config.target.database)
      removed.push(`unfinished copy ${copy}`)
    }
    await manifest.update((mm) => {
      mm.verdict = 'abandoned'
      mm.staging.created = false
      mm.target.shadowCreated = false
    })
  } finally {
    unlock()
  }
  return removed
}

/** A killed run may have left its ephemeral server running: start-and-stop it, else remove its files. */
export async function stopLeftoverServer(driver: Driver, config: ParsedConfig, paths: RunPaths): Promise<void> {
  try {
    const info = await driver.probe(config.source)
    const server = await driver.startEphemeral(paths.stagingDir, { major: info.major, logFile: paths.toolLog, superuser: config.source.user, reuse: true })
    await server.stop({ keep: false })
  } catch {
    // nothing usable was left: remove the files
  }
  const location = join(paths.stagingDir, 'LOCATION')
  if (existsSync(location)) await rm(readFileSync(location, 'utf8').split('\n')[0]!.trim(), { recursive: true, force: true })
  await rm(paths.stagingDir, { recursive: true, force: true })
}
