import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, type ParsedConfig } from '../config/config.ts'
import type { Manifest } from '../run-state/run-dir.ts'
import { runDirHolder } from '../run-state/run-dir-lock.ts'
import { findRunDir } from '../run-state/run-of.ts'
import { formatSeconds } from '../util/files.ts'
import { nextCommands } from '../report/report-signoff.ts'


/** Where a run stands, in a few words: `swapped`, `failed in loadback (DD_…)`, `running verify-hop2` … */
export function runState(m: Manifest, runDir: string): string {
  const holder = runDirHolder(runDir)
  const current = Object.entries(m.stages).filter(([, s]) => s?.status === 'running').map(([name]) => name).at(-1)
  if (holder) return `running${current ? ` ${current}` : ''} (process ${holder.pid} on ${holder.host})`
  if (m.swap?.status === 'swapping') return 'stopped during the swap (settled by the next --resume, --rollback or --cleanup)'
  if (m.verdict === 'verified') return m.mode === 'rehearsal' ? 'rehearsal verified' : m.swap?.status ?? 'verified'
  if (m.verdict === 'rolled-back') return m.swap?.status === 'cleaned-up' ? 'rolled back, rejected upgrade dropped' : 'rolled back'
  if (m.verdict === 'abandoned') return 'abandoned'
  if (m.verdict === 'failed') return `failed${m.failure?.stage ? ` in ${m.failure.stage}` : ''} (${m.failure?.code ?? 'unknown'})`
  return `stopped${current ? ` in ${current}` : ''}`
}

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
