import type { Driver } from './driver.ts'
import type { EngineName } from './engines.ts'

// Loaded on demand, so a PostgreSQL run never loads mysql2.
const LOADERS: Record<EngineName, () => Promise<Driver>> = {
  postgres: async () => (await import('./postgres/postgres-driver.ts')).postgresDriver,
  mysql: async () => (await import('./mysql/mysql-driver.ts')).mysqlDriver,
}

/** The driver for an engine. */
export async function driverFor(engine: EngineName): Promise<Driver> {
  return LOADERS[engine]()
}
