import { describe, expect, it } from 'vitest'
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import type { EngineFacts } from '../../pipeline/drivers/engine-facts.ts'
import { engineFacts, engineNames, engineOfScheme } from '../../pipeline/drivers/engines.ts'
import { driverFor } from '../../pipeline/drivers/registry.ts'

// The fields every engine must fill (the optional ones of ReplicationFacts may be absent).
const REQUIRED: readonly (keyof EngineFacts)[] = [
  'schemes', 'defaultPort', 'product', 'env', 'defaultUser', 'adminDatabase', 'tablesByDatabase', 'dumpFormat', 'replication', 'demoSuperuser',
]
const REQUIRED_REPLICATION: readonly (keyof EngineFacts['replication'])[] = ['log', 'logMayBeOff', 'defaultLoad', 'noReplicaHint']

const filled = (value: unknown) => value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)

describe.each(engineNames)('the facts of %s', (engine) => {
  const facts = engineFacts(engine)

  it('have every field', () => {
    expect(REQUIRED.filter((field) => !filled(facts[field]))).toEqual([])
    expect(REQUIRED_REPLICATION.filter((field) => !filled(facts.replication[field]))).toEqual([])
    expect([facts.env.user, facts.env.password].every(filled)).toBe(true)
  })

  it('name a replica load the engine allows as the default', () => {
    expect(facts.replication.defaultLoad === 'direct' && facts.replication.noDirectLoad).toBeFalsy()
  })

  it('are what a URL of each of its schemes parses with', () => {
    for (const scheme of facts.schemes) {
      expect(engineOfScheme(scheme)).toBe(engine)
      const ep = parseEndpoint(`${scheme}://someone@db.example/app`, 'source')
      expect(ep).toMatchObject({ engine, port: facts.defaultPort, user: 'someone' })
    }
  })

  it('belong to a driver of the same engine in the registry', async () => {
    expect((await driverFor(engine)).engine).toBe(engine)
  })
})

describe('engines', () => {
  it('share no URL scheme', () => {
    const schemes = engineNames.flatMap((engine) => engineFacts(engine).schemes)
    expect(new Set(schemes).size).toBe(schemes.length)
  })
})
