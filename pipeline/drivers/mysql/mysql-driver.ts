import type { Driver } from '../driver.ts'
import { DrydockError } from '../../errors.ts'

const unsupported = (): never => {
  throw new DrydockError('DD_ENGINE_UNSUPPORTED', 'the MySQL/MariaDB engine is not available in this version', {
    stage: 'config', hint: 'use a postgres:// source',
  })
}

export const mysqlDriver: Driver = new Proxy({} as Driver, { get: (_t, prop) => (prop === 'engine' ? 'mysql' : unsupported) })
