import type { EngineName } from '../config/endpoint.ts'
import type { Driver } from './driver.ts'

/** The driver for an engine, loaded on demand so a PostgreSQL run never loads mysql2. */
export async function driverFor(engine: EngineName): Promise<Driver> {
  switch (engine) {
    case 'postgres':
      return (await import('./postgres/postgres-driver.ts')).postgresDriver
    case 'mysql':
      return (await import('./mysql/mysql-driver.ts')).mysqlDriver
  }
}
