import type { Manifest } from '../run-state/run-dir.ts'
import { runDirHolder } from '../run-state/run-dir-lock.ts'

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
