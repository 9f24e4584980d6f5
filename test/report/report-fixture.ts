/** Manifests as a real Patchwork upgrade leaves them: one that failed at hop 2, one that verified. */
import { createHash } from 'node:crypto'
import type { SequenceValue, TableChecksum } from '../../pipeline/drivers/driver.ts'
import type { Manifest, MigratedRecord, TableRecord } from '../../pipeline/run-state/run-dir.ts'
import { compareSequences } from '../../pipeline/stages/verify/sequence-check.ts'

export const EVIL_TABLE = '<script>&"x"'

const sha = (text: string) => createHash('sha256').update(text).digest('hex')
const sum = (rows: number, seed: string): TableChecksum => ({ rows, digest: BigInt(`0x${sha(seed).slice(0, 18)}`).toString() })

// name, rows, dump bytes; carried = false travels empty.
const BEFORE: [string, number, number, boolean?][] = [
  ['patchwork_patch', 5000, 25_525_372], ['patchwork_submission', 6000, 11_713_757], ['patchwork_comment', 8000, 9_464_895],
  ['patchwork_check', 8000, 1_801_220], ['patchwork_person', 2000, 100_634], [EVIL_TABLE, 3, 97],
  ['auth_user', 50, 9_512], ['patchwork_state', 10, 281], ['django_session', 0, 0, false],
]
const AFTER: [string, number, number][] = [
  ['patchwork_patch', 5000, 34_200_114], ['patchwork_patchcomment', 6675, 7_900_412], ['patchwork_cover', 1000, 3_012_008],
  ['patchwork_check', 8000, 1_801_220], ['patchwork_person', 2000, 100_634], [EVIL_TABLE, 3, 97],
  ['auth_user', 50, 9_512], ['patchwork_state', 10, 281], ['django_session', 0, 0],
]

function tables(): Record<string, TableRecord> {
  return Object.fromEntries(BEFORE.map(([name, rows, bytes, carried = true], i) => [`public.${name}`, {
    schema: 'public', name, carried, primaryKey: ['id'], estimatedRows: rows, bytes: bytes * 1.3,
    ...(carried ? { parts: [{ file: { file: `${String(i + 1).padStart(4, '0')}-public.${name}.copy`, rows, bytes, sha256: sha(name) }, loaded: true }], dump: { rows, bytes, files: 1 } } : {}),
    ...(carried ? { source: sum(rows, name) } : {}),
    staging: carried ? sum(rows, name) : { rows: 0, digest: '0' },
  }]))
}

function migrated(mismatch?: string): Record<string, MigratedRecord> {
  return Object.fromEntries(AFTER.map(([name, rows, bytes], i) => [`public.${name}`, {
    schema: 'public', name,
    parts: [{ file: { file: `${String(i + 1).padStart(4, '0')}-public.${name}.copy`, rows, bytes, sha256: sha(`m-${name}`) }, loaded: true }],
    dump: { rows, bytes, files: 1 },
    migrated: sum(rows, `m-${name}`),
    shadow: sum(rows, name === mismatch ? `changed-${name}` : `m-${name}`),
  }]))
}

const STAGE_MS = { snapshot: 34, staging: 1470, dump: 396, load: 939, 'verify-hop1': 312, migrate: 8630, loadback: 3001, 'verify-hop2': 562, swap: 29 }

function stages(failedAt?: keyof typeof STAGE_MS): Manifest['stages'] {
  const out: Manifest['stages'] = {}
  let at = Date.parse('2026-11-21T06:55:48.049Z')
  for (const [name, ms] of Object.entries(STAGE_MS) as [keyof typeof STAGE_MS, number][]) {
    const status = name === failedAt ? 'failed' : 'done'
    out[name] = { status, startedAt: new Date(at).toISOString(), finishedAt: new Date(at + ms).toISOString(), ms }
    at += ms + 12
    if (status === 'failed') break
  }
  return out
}

function base(runId: string): Manifest {
  return {
    version: 1, runId, createdAt: '2026-11-21T06:55:47.928Z', engine: 'postgres', configFile: '/srv/patchwork/upgrade.config.mjs',
    source: 'postgres://patchwork@db1.example.org:5432/patchwork', sourceVersion: '15.20 (Debian 15.20-0+deb12u1)',
    staging: { kind: 'ephemeral', endpoint: 'postgres://patchwork@127.0.0.1:41083/patchwork', version: '15.20 (Debian 15.20-0+deb12u1)' },
    target: { kind: 'in-place', endpoint: 'postgres://patchwork@db1.example.org:5432/patchwork', shadow: `patchwork_dd_shadow_${runId.replace('-', '')}`, backup: `patchwork_dd_backup_${runId.replace('-', '')}` },
    snapshot: { id: '00000002-00000012-1', position: 'wal 0/4F87B58', takenAt: '2026-11-21T06:55:48.080Z' },
    stages: {}, tables: tables(), migrated: {},
    steps: [
      { index: 1, name: 'Patchwork 2.x → 3.0 schema', kind: 'sql', status: 'done', ms: 855, log: 'steps/01-sql.log' },
      { index: 2, name: 'django migrations', kind: 'command', status: 'done', ms: 7775, log: 'steps/02-command.log' },
    ],
  }
}

/** Hop 2 found patchwork_person changed in the production copy: the run stopped before the swap. */
export function failedManifest(): Manifest {
  const m = base('20261121-065547')
  m.stages = stages('verify-hop2')
  m.migrated = migrated('patchwork_person')
  m.verdict = 'failed'
  m.failure = {
    code: 'DD_VERIFY_MISMATCH', stage: 'verify-hop2', table: 'public.patchwork_person',
    message: `hop 2 (migrated staging → production copy): 1 table(s) differ:\n  public.patchwork_person: same row count (2000) but different content (checksum ${m.migrated['public.patchwork_person']!.migrated!.digest} on staging, ${m.migrated['public.patchwork_person']!.shadow!.digest} on the production copy)`,
  }
  return m
}

export function verifiedManifest(): Manifest {
  const m = base('20261122-071200')
  m.stages = stages()
  m.migrated = migrated()
  m.verdict = 'verified'
  m.swap = { status: 'swapped', at: '2026-11-22T07:12:15.513Z', live: 'patchwork', backup: m.target.backup! }
  return m
}

const seq = (schema: string, name: string, lastValue: string, options?: string): SequenceValue =>
  ({ schema, name, lastValue, isCalled: options !== undefined, ...(options ? { options } : {}) })
const PG_SEQ = 'bigint start 1 increment 1 min 1 max 9223372036854775807 cache 1 no cycle'

/**
 * The sequence and materialized view checks both hops record, as the real comparison makes
 * them. PostgreSQL: serial sequences, one moved between staging and the copy, one left behind
 * its column's max(id). MySQL: AUTO_INCREMENT counters, compared by table name.
 */
export function withObjectChecks(m: Manifest, engine: 'postgres' | 'mysql'): Manifest {
  m.engine = engine
  const byName = engine === 'mysql'
  const counters = engine === 'mysql'
    ? [seq('patchwork', 'patchwork_person', '2001'), seq('patchwork', 'patchwork_patch', '48213'), seq('patchwork', 'auth_user', '311')]
    : [seq('public', 'patchwork_person_id_seq', '2000', PG_SEQ), seq('public', 'patchwork_patch_id_seq', '48212', PG_SEQ), seq('public', 'auth_user_id_seq', '310', PG_SEQ)]
  const copy = counters.map((s, i) => (i === 0 ? { ...s, lastValue: String(Number(s.lastValue) + 5) } : s))
  const views = [{ name: 'public.patchwork_patch_summary', before: '48212 rows · 88104772341876123', after: '48212 rows · 88104772341876123', equal: true }]
  m.sequenceChecks = {
    hop1: compareSequences(counters, counters, ['production', 'staging'], byName),
    hop2: compareSequences(counters, copy, ['staging', 'the production copy'], byName),
  }
  m.materializedViewChecks = { hop1: { compared: 1, mismatches: [], items: views }, hop2: { compared: 1, mismatches: [], items: views } }
  if (engine === 'postgres') {
    m.sequencesBehind = [{
      sequence: 'public.auth_user_id_seq', column: 'public.auth_user.id', next: '311', max: '420',
      fix: "SELECT setval('public.auth_user_id_seq', (SELECT max(id) FROM public.auth_user));",
    }]
  }
  return m
}
