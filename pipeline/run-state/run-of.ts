import { existsSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve, sep } from 'node:path'
import { loadConfig, type ParsedConfig } from '../config/config.ts'
import { describeEndpoint, type Endpoint, parseEndpoint, sameServer, withDatabase } from '../config/endpoint.ts'
import { engineFacts } from '../drivers/engines.ts'
import { DrydockError } from '../errors.ts'
import { type Manifest, ManifestStore, type RunPaths, runPaths, type SourceRecord } from './run-dir.ts'

/**
 * What a command on an existing run (--rollback, --cleanup, --resume, --status) acts on: the
 * run's own directory, manifest and production database. The target always comes from the
 * manifest; a config only lends its credentials, and only when it names the same database.
 */
export interface RunOf {
  readonly paths: RunPaths
  readonly manifest: ManifestStore
  /** Production as the run recorded it (with credentials from the agreeing config or the environment). */
  readonly source: Endpoint
  /** The config the run used (or the one passed, which agrees with the run); absent when neither can be read. */
  readonly config?: ParsedConfig
  /** Why the run's own config file was not used, for the operator. */
  readonly configNote?: string
}

/** The source fields a manifest records: enough to connect, never a password. */
export function sourceRecord(ep: Endpoint): SourceRecord {
  const params = Object.fromEntries(Object.entries(ep.params).filter(([name]) => !/pass/i.test(name)))
  return { engine: ep.engine, host: ep.host, port: ep.port, user: ep.user, database: ep.database, params }
}

/**
 * Opens the run `given` names: a run directory, or a bare run id looked up in the run directory of
 * the config passed, of the config in the working folder, and in ./drydock-runs.
 */
export async function openRun(given: string, configPath?: string): Promise<RunOf> {
  const passed = configPath === undefined ? undefined : await loadConfig(configPath)
  const root = await findRunDir(given, passed)
  const paths = runPaths(root)
  const manifest = ManifestStore.load(paths.manifest)
  const recorded = recordedSource(manifest.data)
  if (passed) {
    if (!agrees(passed.source, recorded)) {
      throw new DrydockError('DD_RUN_CONFIG_MISMATCH', `run ${manifest.data.runId} is for ${describeEndpoint(recorded)}, but the config ${passed.file} names ${describeEndpoint(passed.source)}`, {
        hint: `nothing was changed; pass the config the run used (${manifest.data.configFile}), or leave --config out: the run knows its database`,
      })
    }
    return { paths, manifest, source: withDatabase(passed.source, recorded.database), config: passed }
  }
  const own = await runConfig(manifest.data, recorded)
  const source = own.config ? withDatabase(own.config.source, recorded.database) : fromEnvironment(recorded)
  return { paths, manifest, source, ...own }
}

export async function findRunDir(given: string, passed: ParsedConfig | undefined): Promise<string> {
  const candidates = [resolve(given)]
  if (!isAbsolute(given) && !given.includes(sep) && !given.includes('/')) {
    if (passed) candidates.push(join(passed.runDir, given))
    const here = await configHere()
    if (here) candidates.push(join(here.runDir, given))
    candidates.push(resolve('drydock-runs', given))
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'manifest.json')) && statSync(dir).isDirectory())
  if (!found) {
    throw new DrydockError('DD_RUN_NOT_FOUND', `no drydock run at ${[...new Set(candidates)].join(' or ')} (manifest.json missing)`, {
      hint: 'pass the run directory printed at the end of the run (drydock-runs/<run id>), or its run id from the folder of its config',
    })
  }
  return found
}

/** The working folder's config, only to find its run directory; a broken one is no run directory. */
async function configHere(): Promise<ParsedConfig | undefined> {
  for (const name of ['upgrade.config.mjs', 'upgrade.config.ts']) {
    if (!existsSync(resolve(name))) continue
    return loadConfig(resolve(name)).catch(() => undefined)
  }
  return undefined
}

/** The run's own config file, if it still exists and still names the run's database. */
async function runConfig(m: Manifest, recorded: SourceRecord): Promise<{ config?: ParsedConfig; configNote?: string }> {
  if (!existsSync(m.configFile)) return { configNote: `the run's config ${m.configFile} is gone` }
  let config: ParsedConfig
  try {
    config = await loadConfig(m.configFile)
  } catch (error) {
    return { configNote: `the run's config ${m.configFile} cannot be loaded (${(error as Error).message.split('\n')[0]})` }
  }
  if (!agrees(config.source, recorded)) {
    return { configNote: `the run's config ${m.configFile} now names ${describeEndpoint(config.source)}, not the run's ${describeEndpoint(recorded)}` }
  }
  return { config }
}

function agrees(source: Endpoint, recorded: SourceRecord): boolean {
  return sameServer(source, { ...recorded, params: {} }) && source.database === recorded.database
}

/** The recorded endpoint, with the password from the engine's environment (PGPASSWORD, ~/.pgpass, MYSQL_PWD). */
function fromEnvironment(recorded: SourceRecord): Endpoint {
  const password = process.env[engineFacts(recorded.engine).env.password]
  return Object.freeze({ ...recorded, params: Object.freeze({ ...recorded.params }), ...(password ? { password } : {}) })
}

/** Runs before `sourceEndpoint` was recorded kept only the described URL: parse it back. */
function recordedSource(m: Manifest): SourceRecord {
  if (m.sourceEndpoint) return m.sourceEndpoint
  const described = /^(\w+):\/\/(.*)@(\[[^\]]+\]|[^:/]+):(\d+)\/(.*)$/s.exec(m.source)
  if (!described) {
    throw new DrydockError('DD_RUN_NOT_FOUND', `run ${m.runId}: its manifest does not say which database it is for ("${m.source}")`, {
      hint: 'the manifest is damaged; act on the databases by hand (names in the manifest: swap.live, swap.backup)',
    })
  }
  const [, scheme, user, host, port, database] = described
  const ep = parseEndpoint(`${scheme}://${encodeURIComponent(user!)}@${host}:${port}/${encodeURIComponent(database!)}`, 'manifest source')
  return sourceRecord(ep)
}

/** The note that the run's database came from its manifest, when the config was absent or named another database. */
export function configNoteLine(run: RunOf): string {
  return run.configNote ? `\nnote: ${run.configNote}; the database was taken from the run's manifest` : ''
}
