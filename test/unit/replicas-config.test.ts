/** Config `replicas`: defaults per engine, and every problem reported at once, one line each. */
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../pipeline/config/config.ts'
import { DrydockError } from '../../pipeline/errors.ts'

const parse = (source: string, replicas: unknown) => parseConfig({ source, replicas }, '/srv/upgrade.config.mjs')

function problems(source: string, replicas: unknown): string {
  try {
    parse(source, replicas)
  } catch (error) {
    expect(error).toBeInstanceOf(DrydockError)
    return (error as DrydockError).message
  }
  throw new Error('expected the config to be refused')
}

describe('config replicas', () => {
  it('defaults to direct on MySQL and replicated on PostgreSQL; plain URLs are accepted; no password in the parsed description', () => {
    const my = parse('mysql://root@db/app', ['mysql://drydock:pw@replica-1/app', { url: 'mysql://drydock@replica-2/app', load: 'replicated' }])
    expect(my.replicas.map((r) => [r.endpoint.host, r.endpoint.password ?? null, r.load])).toEqual([['replica-1', 'pw', 'direct'], ['replica-2', null, 'replicated']])
    expect(parse('postgres://postgres@db/app', [{ url: 'postgres://postgres@standby/app' }]).replicas[0]!.load).toBe('replicated')
    expect(parseConfig({ source: 'mysql://root@db/app' }, '/srv/upgrade.config.mjs').replicas).toEqual([])
  })

  it('reports every problem at once', () => {
    const message = problems('mysql://root@db/app', [
      { url: 'postgres://x@h/app' }, { url: 'mysql://x@h/app', load: 'sometimes' }, { load: 'direct' }, { url: 'mysql://x@h/app', lag: 3 }, 42,
    ])
    expect(message.split('\n').slice(1)).toEqual([
      '- Invalid option replicas[0].url: must be the same engine as source (mysql), got postgres',
      '- Invalid option replicas[1].load: expected "direct" or "replicated", got "sometimes"',
      '- Missing option replicas[2].url: expected a database URL',
      '- Unknown option replicas[3].lag: expected url or load',
      '- Invalid option replicas[4]: expected { url, load? } or a database URL, got 42',
    ])
    expect(problems('mysql://root@db/app', 'mysql://x@h/app')).toContain('- Invalid option replicas: expected a list of { url, load? }, got "mysql://x@h/app"')
  })

  it('refuses a direct load of a PostgreSQL standby, saying why', () => {
    expect(problems('postgres://postgres@db/app', [{ url: 'postgres://postgres@standby/app', load: 'direct' }]))
      .toContain('- Invalid option replicas[0].load: a PostgreSQL physical standby cannot be written; expected "replicated"')
  })
})
