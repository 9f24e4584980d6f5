import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConfig, type ParsedConfig } from '../config/config.ts'
import { withThrottleFlags } from '../safety/throttle/throttle-config.ts'
import type { CommandLine } from './command-line.ts'

/** upgrade.config.mjs in the working folder, else upgrade.config.ts if only that exists. */
export function defaultConfigPath(): string {
  const ts = resolve('upgrade.config.ts')
  return existsSync(resolve('upgrade.config.mjs')) || !existsSync(ts) ? resolve('upgrade.config.mjs') : ts
}

/** The config a command works with (--config, else the default file), with the command line's overrides. */
export async function commandConfig(line: CommandLine, loaded?: ParsedConfig): Promise<ParsedConfig> {
  const config = withThrottleFlags(loaded ?? await loadConfig(line.values.config ?? defaultConfigPath()), line.throttle)
  return withTableFlags(line.idleLimit === undefined ? config : Object.freeze({ ...config, idleLimitSeconds: line.idleLimit }), line.tables)
}

function withTableFlags(config: ParsedConfig, flags: CommandLine['tables']): ParsedConfig {
  if (flags.include.length === 0 && flags.exclude.length === 0) return config
  return Object.freeze({
    ...config,
    include: flags.include.length ? flags.include : config.include,
    exclude: [...config.exclude, ...flags.exclude],
  })
}
