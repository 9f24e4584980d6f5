import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../config/config.ts'
import type { Manifest } from '../run-state/run-dir.ts'
import { findRunDir } from '../run-state/run-of.ts'
import { formatSeconds } from '../util/files.ts'
import { nextCommands } from '../report/report-signoff.ts'
import { runState } from './run-status.ts'
import type { CommandLine } from './command-line.ts'

/** `--status RUN`: one run's state, stage by stage, from its manifest (reads only; no server is contacted). */
export async function statusCommand(given: string, configPath: string | undefined): Promise<string> {
  const config = configPath === undefined ? undefined : await loadConfig(configPath)
  const root = await findRunDir(given, config)
  const m = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Manifest
  const stages = Object.entries(m.stages).map(([name, s]) =>
    `  ${name.padEnd(12)} ${s!.status.padEnd(8)} ${s!.ms === undefined ? '' : formatSeconds(s!.ms)}${s!.error ? `  ${s!.error.split('\n')[0]}` : ''}`)
  const tables = Object.values(m.tables)
  const dumped = tables.filter((t) => t.dump).length
  const loaded = tables.filter((t) => t.loaded).length
  const next = nextCommands(m, root).map((n) => `${n.command}   (${n.what})`)
  return [
    `run ${m.runId} (${m.mode ?? 'upgrade'}) of ${m.source}, ${m.engine}, started ${m.createdAt}${m.resumes?.length ? `, resumed ${m.resumes.length}×` : ''}`,
    `state: ${runState(m, root)}`,
    ...(m.failure ? [`last error: ${m.failure.code}: ${m.failure.message.split('\n')[0]}`] : []),
    `tables: ${tables.length} (${dumped} dumped, ${loaded} loaded into staging); migration steps done: ${m.steps.filter((s) => s.status === 'done').length}`,
    ...(m.swap ? [`swap: ${m.swap.status}, live "${m.swap.live}", ${m.swap.status === 'rolled-back' ? 'rejected upgrade' : 'old database'} "${m.swap.backup}"`] : []),
    'stages:', ...stages,
    ...(next.length ? ['next:', ...next.map((c) => `  ${c}`)] : []),
    `report: ${join(root, 'report.html')}`,
  ].join('\n')
}

export async function statusCli(line: CommandLine): Promise<number> {
  process.stdout.write(`${await statusCommand(line.values.status!, line.values.config)}\n`)
  return 0
}
