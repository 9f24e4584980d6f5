/**
 * Statements that send nothing until they end, against the idle limit (issue 11 item 3):
 * checksum parts shrink below half the limit, and pre-flight / --plan name the longest index
 * build on production's side with an estimate, warning when it exceeds the limit.
 */
import { describe, expect, it } from 'vitest'
import { CHECKSUM_BYTES_PER_SECOND, INDEX_BUILD_BYTES_PER_SECOND, MAX_IDLE_BOUND_PARTS, silentStatementCheck } from '../../pipeline/safety/faults/silent-statements.ts'
import { checksumSizingFor } from '../../pipeline/transfer/settings.ts'
import { MAX_PARTS } from '../../pipeline/transfer/plan-parts.ts'
import { parseConfig } from '../../pipeline/config/config.ts'
import { expectDrydockError } from '../helpers/drydock.ts'
import { main } from '../../pipeline/cli.ts'
import { formatBytes, formatSeconds } from '../../pipeline/util/files.ts'

const MiB = 1024 * 1024
const table = (name: string, bytes: number) => ({ schema: 'public', name, bytes, estimatedRows: 0, primaryKey: ['id'] })

describe('checksum parts and the idle limit', () => {
  it('the default limit leaves the 128 MiB parts alone', () => {
    expect(checksumSizingFor(128 * MiB, 60)).toEqual({ partBytes: 128 * MiB, maxParts: MAX_PARTS })
  })

  it('a short limit makes every part a scan of at most half of it, with room for more parts', () => {
    const sizing = checksumSizingFor(128 * MiB, 2)
    expect(sizing.partBytes / CHECKSUM_BYTES_PER_SECOND).toBeLessThanOrEqual(1)
    expect(sizing.maxParts).toBe(MAX_IDLE_BOUND_PARTS)
  })
})

describe('longest expected silent statement', () => {
  it('names the biggest table\'s index build with its estimate; ok under the limit', () => {
    const check = silentStatementCheck([table('small', MiB), table('orders', 40 * MiB)], 'shadow on production', 60)
    expect(check).toMatchObject({ id: 'source.silent-statement', status: 'ok' })
    expect(check.detail).toContain(`index builds on the shadow on production: the biggest table, public.orders (${formatBytes(40 * MiB)} at about 20 MB/s), about ${formatSeconds(2097)}`)
    expect(check.detail).toMatch(/; idle limit 1 min 0 s$/)
  })

  it('warns when that build would run longer than the limit', () => {
    const bytes = 100 * INDEX_BUILD_BYTES_PER_SECOND
    const check = silentStatementCheck([table('orders', bytes)], 'shadow on production', 60)
    expect(check).toMatchObject({ status: 'warn', code: 'DD_PREFLIGHT_SILENT_STATEMENT' })
    expect(check.detail).toContain('about 1 min 40 s;')
    expect(check.detail).toMatch(/a proxy that cuts idle connections at the limit would cut it$/)
    expect(check.hint).toContain('idle timeout')
  })
})

describe('idleLimitSeconds and --idle-limit', () => {
  it('defaults to 60 s; a value outside 1–3600 is refused with the others', async () => {
    expect(parseConfig({ source: 'postgres://u@h/db' }, '/tmp/upgrade.config.mjs').idleLimitSeconds).toBe(60)
    expect(parseConfig({ source: 'postgres://u@h/db', idleLimitSeconds: 5 }, '/tmp/upgrade.config.mjs').idleLimitSeconds).toBe(5)
    const error = await expectDrydockError(Promise.resolve().then(() => parseConfig({ source: 'postgres://u@h/db', idleLimitSeconds: 0 }, '/tmp/upgrade.config.mjs')), 'DD_CONFIG_INVALID')
    expect(error.message).toContain('- Invalid option idleLimitSeconds: expected seconds from 1 to 3600, got 0')
  })

  it('a bad --idle-limit is a usage error (exit 2)', async () => {
    expect(await main(['--idle-limit', 'soon', '--plan'])).toBe(2)
  })
})
