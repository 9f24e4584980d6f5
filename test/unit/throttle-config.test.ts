import { afterEach, describe, expect, it, vi } from 'vitest'
import { HELP, main } from '../../pipeline/cli.ts'
import { parseConfig } from '../../pipeline/config/config.ts'
import { DrydockError } from '../../pipeline/errors.ts'
import { parseLagSeconds, parseRate } from '../../pipeline/safety/throttle/parse-rate.ts'
import { parseThrottleFlags, withThrottleFlags } from '../../pipeline/safety/throttle/throttle-config.ts'

const FILE = '/srv/upgrade.config.mjs'
const SOURCE = 'postgres://app@db.example.org:5432/app'

function configError(raw: unknown): DrydockError {
  try {
    parseConfig(raw, FILE)
  } catch (error) {
    return error as DrydockError
  }
  throw new Error('expected the config to be refused')
}

describe('throttle config', () => {
  it.each([
    ['50MB/s', 50_000_000], ['800KB/s', 800_000], ['800kB/s', 800_000], ['1.5 MB/s', 1_500_000], ['10M', 10_000_000],
    ['2GiB/s', 2 * 1024 ** 3], ['64KiB/sec', 65_536], ['1048576', 1_048_576], [5_000_000, 5_000_000],
  ])('parses the rate %s', (text, bytes) => {
    expect(parseRate(text)).toEqual({ bytesPerSecond: bytes })
  })

  it.each([
    ['fast', "expected a rate like '50MB/s', '800KB/s' or bytes per second, got \"fast\""],
    ['100Mbps', 'not bits'],
    ['0MB/s', 'above zero'],
    [-5, 'above zero'],
    [50, "below 1000 bytes per second; write the unit, e.g. '50MB/s'"],
    ['50 TB/s', 'expected a rate like'],
  ])('refuses the rate %s', (text, message) => {
    expect(parseRate(text)).toEqual({ error: expect.stringContaining(message) })
  })

  it('parses lag limits in seconds', () => {
    expect(parseLagSeconds(30)).toEqual({ seconds: 30 })
    expect(parseLagSeconds('2.5s')).toEqual({ seconds: 2.5 })
    expect(parseLagSeconds('0')).toHaveProperty('error')
    expect(parseLagSeconds('a minute')).toHaveProperty('error')
  })

  it('reads config throttle into ParsedConfig.throttle', () => {
    const config = parseConfig({ source: SOURCE, throttle: { maxRate: '50MB/s', maxReplicaLag: 30, replicas: ['postgres://repl:s3cret@standby-1:5433/app'] } }, FILE)
    expect(config.throttle).toMatchObject({ maxRate: 50_000_000, maxReplicaLag: 30 })
    expect(config.throttle!.replicas).toEqual([expect.objectContaining({ engine: 'postgres', host: 'standby-1', port: 5433, password: 's3cret' })])
    expect(parseConfig({ source: SOURCE }, FILE).throttle).toEqual({ replicas: [] })
  })

  it('reports every throttle problem at once, one line each, with DD_CONFIG_INVALID', () => {
    const error = configError({
      source: SOURCE,
      throttle: { maxRate: 'fast', maxReplicaLag: -1, replicas: ['nope', 'mysql://repl@replica:3306/app'], burst: 1 },
    })
    expect(error).toBeInstanceOf(DrydockError)
    expect(error.code).toBe('DD_CONFIG_INVALID')
    const lines = error.message.split('\n')
    expect(lines).toEqual(expect.arrayContaining([
      '- Unknown option throttle.burst: expected one of maxRate, maxReplicaLag, replicas',
      "- Invalid option throttle.maxRate: expected a rate like '50MB/s', '800KB/s' or bytes per second, got \"fast\"",
      '- Invalid option throttle.maxReplicaLag: expected seconds of replica lag (a number above 0, at most 86400), got -1',
      expect.stringMatching(/^- Invalid option throttle\.replicas\[0\]: expected a database URL like .*, got "nope"$/),
      '- Invalid option throttle.replicas[1]: must be the same engine as source (postgres), got mysql',
    ]))
    expect(configError({ source: SOURCE, throttle: { replicas: 'postgres://x@y/z' } }).message).toContain('Invalid option throttle.replicas: expected a list of database URLs')
    expect(configError({ source: SOURCE, throttle: 50 }).message).toContain('Invalid option throttle: expected { maxRate?, maxReplicaLag?, replicas? }, got 50')
  })

  it('never prints a replica password in a config error', () => {
    const error = configError({ source: SOURCE, throttle: { replicas: ['postgres://repl:s3cret@/app'] } })
    expect(error.message).toContain('throttle.replicas[0]')
    expect(error.message).not.toContain('s3cret')
  })
})

describe('throttle flags', () => {
  afterEach(() => { vi.restoreAllMocks() })

  it('override the config file, and "off" drops its limit', () => {
    const config = parseConfig({ source: SOURCE, throttle: { maxRate: '10MB/s', replicas: ['postgres://repl@standby:5432/app'] } }, FILE)
    const flags = parseThrottleFlags({ maxRate: '800KB/s', maxReplicaLag: '20' })
    expect(flags).toEqual({ maxRate: 800_000, maxReplicaLag: 20 })
    const overridden = withThrottleFlags(config, flags as { maxRate: number; maxReplicaLag: number })
    expect(overridden.throttle).toMatchObject({ maxRate: 800_000, maxReplicaLag: 20, replicas: config.throttle!.replicas })
    expect(overridden.source).toBe(config.source)
    expect(withThrottleFlags(config, { maxRate: null }).throttle).toEqual({ replicas: config.throttle!.replicas })
    expect(withThrottleFlags(config, {})).toBe(config)
  })

  it('are in --help', () => {
    expect(HELP).toContain('--max-rate RATE')
    expect(HELP).toContain('--max-replica-lag SECONDS')
  })

  it.each([
    [['--max-rate', 'fast'], "drydock: Invalid option --max-rate: expected a rate like '50MB/s', '800KB/s' or bytes per second, got \"fast\" (or \"off\")"],
    [['--max-replica-lag=-3'], 'drydock: Invalid option --max-replica-lag: expected seconds of replica lag (a number above 0, at most 86400), got "-3"'],
    [['--max-replica-lag', 'soon'], 'drydock: Invalid option --max-replica-lag: expected seconds of replica lag'],
  ])('refuse a bad value with exit code 2: %s', async (argv, message) => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    expect(await main(argv)).toBe(2)
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain(message)
  })
})
