import type { Endpoint } from '../../config/endpoint.ts'
import { MYSQL_CHECKSUM_ALGORITHM } from './mysql-checksum.ts'
import type { Driver, ServerInfo } from '../driver.ts'
import { MysqlLink } from './mysql-connect.ts'
import { createDatabase, databaseExists, dropDatabase, flushEngineLogs, isEmpty, prepareStaging } from './mysql-databases.ts'
import { startEphemeralMysql } from './mysql-ephemeral.ts'
import { migrationEnv } from './mysql-env.ts'
import { copySchema } from './mysql-schema.ts'
import { lockSource } from './mysql-lock.ts'
import { isTransientMysql } from './mysql-transient.ts'
import { mysqlPreflightChecks } from './mysql-preflight.ts'
import { MysqlSession } from './mysql-session.ts'
import { mysqlReplicaLag } from './mysql-replica-lag.ts'
import { binlogBytes, binlogPosition, binlogReaders, probeDirectReplica, skipBinlog, waitForReplica } from './mysql-binlog.ts'
import { openSnapshot } from './mysql-snapshot.ts'
import { swapDatabases, swapSide } from './mysql-swap.ts'
import { repointReferences } from './mysql-keep.ts'
import { copyEvents } from './mysql-events.ts'
import { findClient, runSqlFile } from './mysql-tools.ts'
import { mysqlCanary } from './mysql-canary.ts'

/**
 * MySQL 8.0+ and MariaDB 10.6+, with mysql2; dump files are CSV (see mysql-dump.ts). A driver
 * with its own state (the kind of server probed, how its sessions connect): one per run.
 */
export function createMysqlDriver(): Driver {
  // The kind of the server probed last decides which client (mariadb or mysql) runs SQL files.
  let mariadb = true
  const link = new MysqlLink()
  const on = <A extends unknown[], R>(fn: (link: MysqlLink, ...args: A) => R) => (...args: A): R => fn(link, ...args)
  return {
    engine: 'mysql',
    fileExtension: 'csv',
    checksumAlgorithm: MYSQL_CHECKSUM_ALGORITHM,

    async probe(ep: Endpoint): Promise<ServerInfo> {
      const conn = await link.connect(ep)
      try {
        mariadb = conn.flavor.mariadb
        return { version: conn.flavor.version, major: conn.flavor.major }
      } finally {
        await conn.close()
      }
    },

    async checkTools(server) {
      findClient(server.major >= 10)
    },

    describeServer: (server) => (/mariadb/i.test(server.version) ? `MariaDB ${server.version}` : `MySQL ${server.version}`),
    // No database copy on the server: the checkpoint is staging's dump files.
    checkpointKind: () => 'dump-files',
    canaryTable: () => mysqlCanary(),

    async connect(ep) {
      return new MysqlSession(await link.connect(ep))
    },

    openSnapshot: on(openSnapshot),
    databaseExists: on(databaseExists),
    createDatabase: on(createDatabase),
    dropDatabase: on(dropDatabase),
    isEmpty: on(isEmpty),

    async prepareStaging(source, staging) {
      await prepareStaging(link, source as MysqlSession, staging)
    },

    copySchema: on(copySchema),

    async runSqlFile(ep, file, logFile) {
      await runSqlFile(mariadb, ep, file, logFile)
    },

    migrationEnv,

    startEphemeral: startEphemeralMysql,

    swap: on(swapDatabases),
    swapSide: on(swapSide),
    keepsLiveTables: true,
    repointReferences: on(repointReferences),
    copyLiveOnly: on(copyEvents),
    lockSource: on(lockSource),
    isTransient: isTransientMysql,
    preflightChecks: on(mysqlPreflightChecks),
    replicaLag: on(mysqlReplicaLag),
    logPosition: on(binlogPosition),
    makeDurable: (server) => flushEngineLogs(link, server),
    logBytes: on(binlogBytes),
    copyPartMB: 128,
    directReplicas: { skipLog: on(skipBinlog), logReaders: on(binlogReaders), probe: on(probeDirectReplica), catchUp: on(waitForReplica) },
  }
}

/** A driver for tests and tools that share one. */
export const mysqlDriver = createMysqlDriver()
