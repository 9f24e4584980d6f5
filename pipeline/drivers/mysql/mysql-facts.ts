import type { EngineFacts } from '../engine-facts.ts'

export const mysqlFacts: EngineFacts = {
  schemes: ['mysql', 'mariadb'],
  defaultPort: 3306,
  product: 'MariaDB/MySQL',
  env: { user: 'MYSQL_USER', password: 'MYSQL_PWD' },
  defaultUser: 'root',
  adminDatabase: 'information_schema',
  tablesByDatabase: true,
  dumpFormat: 'csv',
  replication: {
    log: 'binlog',
    logMayBeOff: true,
    defaultLoad: 'direct',
    noReplicaHint: 'list them in throttle.replicas',
  },
  demoSuperuser: 'root',
}
