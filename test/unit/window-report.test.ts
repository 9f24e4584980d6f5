// The window bench's ratios and results section (pure: no servers, no timings asserted).
import { describe, expect, it } from 'vitest'
import { type MigrationResult, type WindowResult, ratio, replaceSection, replicationExtra, targetRows, targetTable, verdict } from '../../bench/lib/window/window-report.ts'

const run = (windowMs: number, logBytes: number, stages: Record<string, number> = {}) => ({ wallMs: windowMs + 1000, windowMs, windowSource: 'manifest.window', logBytes, stages })
const migration = (over: Partial<MigrationResult> = {}): MigrationResult => ({
  inPlace: { ms: 10_000, logBytes: 100e6 },
  drydock: run(20_000, 40e6, { dump: 3000, load: 2000, 'verify-hop1': 1000, migrate: 5000 }),
  prestage: { unavailable: 'not available in this checkout' },
  ...over,
})
const result = (migrations: WindowResult['migrations'], engine: 'pg' | 'mysql' = 'mysql'): WindowResult => ({ engine, scale: 1, rows: 1, loads: [], migrations })

describe('window report', () => {
  it('ratio is null for a missing or zero denominator', () => {
    expect(ratio(1, 4)).toBe(0.25)
    expect(ratio(1, 0)).toBeNull()
    expect(ratio(undefined, 2)).toBeNull()
    expect(ratio(Number.NaN, 2)).toBeNull()
  })

  it('counts manifest replication.bytes only when it is a number', () => {
    expect(replicationExtra({ bytes: 5 })).toBe(5)
    expect(replicationExtra({ bytes: '5' })).toBe(0)
    expect(replicationExtra(null)).toBe(0)
  })

  it('without a prestage the window is the whole run, and the refresh has no ratio', () => {
    const rows = targetRows(result({ patchwork: migration() }))
    const window = rows.find((r) => r.target.startsWith('Patchwork-style upgrade: window'))!
    expect(window.ratio).toBe(2)
    expect(window.limit).toBe(0.5)
    expect(verdict(window)).toBe('❌')
    expect(window.note).toContain('no prestage')
    const refresh = rows.find((r) => r.target.startsWith('refresh'))!
    expect(refresh.ratio).toBeNull()
    expect(verdict(refresh)).toBe('—')
    expect(rows.find((r) => r.target.startsWith('migration step'))!.ratio).toBe(0.5)
  })

  it('with a prestage the window, bytes and refresh come from it', () => {
    const prestage = { ...run(4000, 10e6, { migrate: 5000 }), prestageMs: 9000, rowsChanged: 100, refreshMs: 1200, replication: { bytes: 5e6 } }
    const rows = targetRows(result({ patchwork: migration({ prestage }) }, 'pg'))
    expect(rows.find((r) => r.target.startsWith('Patchwork-style upgrade: window'))!.ratio).toBe(0.4)
    expect(rows.find((r) => r.target.startsWith('Patchwork-style upgrade: window'))!.limit).toBe(1)
    expect(rows.find((r) => r.target.includes('replication bytes'))!.ratio).toBeCloseTo(0.15)
    expect(rows.find((r) => r.target.startsWith('refresh'))!.ratio).toBeCloseTo(0.2)
  })

  it('the small-table targets compare with the round trip and the table size', () => {
    const rows = targetRows(result({ small: migration({ tableBytes: 20e6 }) }))
    expect(rows.find((r) => r.target.includes('full round trip'))!.ratio).toBeCloseTo(20 / 21)
    expect(rows.find((r) => r.target.includes('changed table'))!.ratio).toBe(2)
    expect(targetTable([result({ small: migration({ tableBytes: 20e6 }) })])).toContain('| ≤ 1.5 | ❌ |')
  })

  it('replaces its own section and keeps the others', () => {
    const file = '# results\n\n## anchors\n\nA\n\n## Window vs in place\n\nold\n\n## later\n\nB\n'
    const out = replaceSection(file, '## Window vs in place\n\nnew\n')
    expect(out).toBe('# results\n\n## anchors\n\nA\n\n## Window vs in place\n\nnew\n\n## later\n\nB\n')
    expect(replaceSection('# results\n', '## Window vs in place\n\nx\n')).toBe('# results\n\n## Window vs in place\n\nx\n')
  })
})
