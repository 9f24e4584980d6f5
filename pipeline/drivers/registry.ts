import type { Driver } from './driver.ts'
import type { EngineName } from './engines.ts'

// Loaded on demand, so a PostgreSQL run never loads mysql2.
const LOADERS: Record<EngineName, () => Promise<Driver>> = {
  postgres: async () => (await import('./postgres/postgres-driver.ts')).createPostgresDriver(),
  mysql: async () => (await import('./mysql/mysql-driver.ts')).createMysqlDriver(),
}

/** A new driver for an engine, with state of its own: a run asks once and keeps it. */
export async function driverFor(engine: EngineName): Promise<Driver> {
  return LOADERS[engine]()
}
