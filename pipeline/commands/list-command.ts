import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadConfig, type ParsedConfig } from '../config/config.ts'
import type { Manifest } from '../run-state/run-dir.ts'
import { runState } from './run-status.ts'
import type { CommandLine } from './command-line.ts'
import { defaultConfigPath } from './command-config.ts'

/** `--list`: the runs in the config's run directory (else ./drydock-runs), oldest first. */
export function listCommand(config: ParsedConfig | undefined, fallbackDir: string): string {
  const dir = config?.runDir ?? fallbackDir
  const ids = existsSync(dir) ? readdirSync(dir).filter((id) => existsSync(join(dir, id, 'manifest.json'))).sort() : []
  if (ids.length === 0) return `no runs in ${dir}`
  const rows = [['run', 'mode', 'state', 'source', 'started']]
  for (const id of ids) {
    try {
      const m = JSON.parse(readFileSync(join(dir, id, 'manifest.json'), 'utf8')) as Manifest
      rows.push([id, m.mode ?? 'upgrade', runState(m, join(dir, id)), m.source, m.createdAt.replace('T', ' ').slice(0, 19)])
    } catch {
      rows.push([id, '?', 'manifest unreadable', '', ''])
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return [`runs in ${dir}:`, ...rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd())].join('\n')
}

/** `--list [--config FILE]`: without a config file, the runs in ./drydock-runs. */
export async function listCli(line: CommandLine): Promise<number> {
  const path = line.values.config ?? defaultConfigPath()
  const config = line.values.config !== undefined || existsSync(path) ? await loadConfig(path) : undefined
  process.stdout.write(`${listCommand(config, resolve('drydock-runs'))}\n`)
  return 0
}
