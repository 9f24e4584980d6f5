import type { ParsedConfig } from '../config.ts'
import type { Driver, ServerInfo } from '../drivers/driver.ts'
import { describeEndpoint } from '../endpoint.ts'
import { DrydockError } from '../errors.ts'

export interface PreflightResult {
  source: ServerInfo
  staging?: ServerInfo
  target?: ServerInfo
}

/**
 * Before anything is written: every database answers, the client tools fit the servers,
 * and the engines and versions line up. Reads only.
 */
export async function preflight(config: ParsedConfig, driver: Driver): Promise<PreflightResult> {
  const source = await driver.probe(config.source)
  await driver.checkTools(source)
  await driver.checkSource?.(config.source)
  const result: PreflightResult = { source }
  if (config.staging !== 'ephemeral') {
    result.staging = await driver.probe({ ...config.staging, database: config.staging.database }).catch(async (error) => {
      // The staging database may not exist yet: drydock creates it. Its server must answer.
      if (error instanceof DrydockError && error.code === 'DD_DATABASE_MISSING') {
        await driver.databaseExists(config.staging as never, (config.staging as { database: string }).database)
        return source
      }
      throw error
    })
    if (result.staging.major < source.major) {
      throw new DrydockError('DD_STAGING_TOO_OLD', `staging ${describeEndpoint(config.staging)} runs ${result.staging.version}, older than the source (${source.version})`, {
        stage: 'preflight', hint: 'use a staging server of the same major version as production, or staging: "ephemeral"',
      })
    }
    await driver.checkTools(result.staging)
  }
  if (config.target !== 'in-place') {
    const target = config.target
    const exists = await driver.databaseExists(target, target.database)
    result.target = exists ? await driver.probe(target) : source
  }
  return result
}
