import type { Manifest } from '../run-state/run-dir.ts'

const COMMAND = 'npx zx scripts/offline-upgrade.mjs'

/** Which database holds which data now: what the person signing off must know first. */
export function holdings(m: Manifest): { database: string; holds: string }[] {
  const swap = m.swap
  const live = swap?.live ?? m.target.endpoint
  if (m.target.kind === 'url') {
    return [
      { database: m.source, holds: 'the data from before the upgrade (never written)' },
      ...(m.verdict === 'verified' ? [{ database: m.target.endpoint, holds: 'the upgraded data (verified)' }] : []),
    ]
  }
  if (!swap || swap.status === 'swapping') {
    return [{ database: m.source, holds: swap ? 'to be settled: the swap was under way when drydock stopped' : 'the data from before the upgrade (not swapped)' }]
  }
  const rolledBack = m.verdict === 'rolled-back'
  if (swap.status === 'swapped') {
    return [{ database: live, holds: 'the upgraded data (live)' }, { database: swap.backup, holds: 'the data from before the upgrade (kept for --rollback)' }]
  }
  if (swap.status === 'rolled-back') {
    return [{ database: live, holds: 'the data from before the upgrade (live again)' }, { database: swap.backup, holds: 'the rejected upgrade (kept until --cleanup)' }]
  }
  return rolledBack
    ? [{ database: live, holds: 'the data from before the upgrade (live); the rejected upgrade was dropped' }]
    : [{ database: live, holds: 'the upgraded data (live); the copy from before the upgrade was dropped' }]
}

/** The exact commands that undo or finish the run from here. */
export function nextCommands(m: Manifest, runDir: string): { what: string; command: string }[] {
  const status = m.swap?.status
  if (status === 'swapped' || status === 'swapping') {
    return [
      { what: 'roll back (the old database becomes live again, the upgraded one is kept)', command: `${COMMAND} --rollback ${runDir}` },
      { what: `clean up once the upgrade is accepted (drops ${m.swap!.backup})`, command: `${COMMAND} --cleanup ${runDir}` },
    ]
  }
  if (status === 'rolled-back') return [{ what: `clean up (drops the rejected upgrade ${m.swap!.backup})`, command: `${COMMAND} --cleanup ${runDir}` }]
  if (status === 'cleaned-up' || m.verdict === 'abandoned' || m.verdict === 'verified') return []
  return [
    { what: 'continue the run', command: `${COMMAND} --resume ${runDir}` },
    { what: 'or discard it (production is untouched)', command: `${COMMAND} --cleanup ${runDir}` },
  ]
}

/** Label and value lines of the sign-off block (report.md and report.html show the same). */
export function signoffFacts(m: Manifest, attempt: { startedAt: string; endedAt: string }): [string, string][] {
  const p = m.provenance
  const facts: [string, string][] = []
  if (p) {
    facts.push(
      ['run by', `${p.user} on ${p.host}`],
      ['drydock', `${p.drydock.version}${p.drydock.commit ? ` (commit ${p.drydock.commit}${p.drydock.dirty ? ', with uncommitted changes' : ''})` : ''}`],
      ['config', `${String(p.config.file)}${p.configSha256 ? ` · sha256 ${p.configSha256}` : ''}`],
    )
  }
  facts.push(['started', m.createdAt], ['this attempt', `${attempt.startedAt} → ${attempt.endedAt}${m.resumes?.length ? ` (resumed ${m.resumes.length}×)` : ''}`])
  if (m.canary) facts.push(['canary', `${m.canary.columns} columns × ${m.canary.rows} rows of awkward values came back equal through dump → staging → copy (${m.canary.ms} ms)`])
  const f = m.fenceCheck
  if (f?.production) facts.push(['write fence', `production unchanged since the snapshot: ${f.production.byMarks} table(s) by their write marks, ${f.production.byChecksum} by checksum (checked ${f.at})`])
  if (f?.copy) facts.push(['copy fence', `the production copy unchanged since hop 2: ${f.copy.byMarks} table(s) by marks, ${f.copy.byChecksum} by checksum`])
  return facts
}
