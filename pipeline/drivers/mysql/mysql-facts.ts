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
  // bench/plan-accuracy.ts at scales 1 and 4 (2 workers): the dump took 2.8× the sample's read both
  // times (it also writes and fsyncs its files), load 0.6–0.73×, hop 1 0.71–1.07×. The load back was
  // measured with one table of fifteen changed (0.4–0.63×, most of it that table's index build); a
  // load back of every table was not measured: 1.2× for every table copied, of which half is assumed.
  roughPlan: { dump: 2.8, load: 0.65, hop: 0.85, loadback: 1.2 },
  replication: {
    log: 'binlog',
    logMayBeOff: true,
    defaultLoad: 'direct',
    noReplicaHint: 'list them in throttle.replicas',
  },
  demoSuperuser: 'root',
}
