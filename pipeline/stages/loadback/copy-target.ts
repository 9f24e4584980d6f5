import { required } from '../../drivers/capability.ts'
import type { Driver } from '../../drivers/driver.ts'
import { type Endpoint, withDatabase } from '../../config/endpoint.ts'
import type { Manifest } from '../../run-state/run-dir.ts'

/**
 * Where an in-place upgrade's copy is: shadow schemas inside the live database (schema swap,
 * `target.schemas`) or the shadow database beside it.
 */
export function inPlaceCopy(source: Endpoint, m: Manifest): Endpoint {
  if (m.target.schemas) return Object.freeze({ ...source, schemaMap: m.target.schemas })
  return withDatabase(source, m.target.shadow!)
}

/** Drops an in-place copy that never went live; returns how it is named in output. */
export async function dropInPlaceCopy(driver: Driver, source: Endpoint, m: Manifest): Promise<string> {
  if (m.target.schemas) {
    const schemas = Object.values(m.target.schemas)
    await required(driver, 'schemaSwap').dropSchemas(source, schemas)
    return `shadow schema(s) ${schemas.join(', ')} in ${source.database}`
  }
  await driver.dropDatabase(source, m.target.shadow!)
  return m.target.shadow!
}
