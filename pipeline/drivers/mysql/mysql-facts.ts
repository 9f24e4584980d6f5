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
  // Measured at scale 1 (dump 1.2×, load and hop 0.4×); a load back of every table was not measured
  // (a MariaDB rehearsal keeps the unchanged tables too): three times the load, like PostgreSQL's ratio.
  roughPlan: { dump: 1.2, load: 0.4, hop: 0.4, loadback: 1.2 },
  replication: {
    log: 'binlog',
    logMayBeOff: true,
    defaultLoad: 'direct',
    noReplicaHint: 'list them in throttle.replicas',
  },
  demoSuperuser: 'root',
}
