import type { Endpoint } from '../../config/endpoint.ts'
import { POSTGRES_CHECKSUM_ALGORITHM } from './postgres-checksum.ts'
import { DrydockError } from '../../errors.ts'
import type { Driver, ServerInfo } from '../driver.ts'
import { pgConnect } from './postgres-connect.ts'
import { checkMaterializedViews } from './postgres-matviews.ts'
import { createDatabase, databaseExists, dropDatabase, isEmpty, prepareStaging, swapDatabases, swapSide } from './postgres-databases.ts'
import { cloneDatabase } from './postgres-clone.ts'
import { startEphemeralPostgres } from './postgres-ephemeral.ts'
import { migrationEnv } from './postgres-env.ts'
import { applySql, copySchema, renameSchemas } from './postgres-schema.ts'
import { lockSource } from './postgres-lock.ts'
import { isTransientPostgres } from './postgres-transient.ts'
import { postgresPreflightChecks } from './postgres-preflight.ts'
import { PostgresSession } from './postgres-session.ts'
import { postgresReplicaLag, type WalHistories } from './postgres-replica-lag.ts'
import { flushCommits, walBytes, walPosition } from './postgres-wal.ts'
import { openSnapshot } from './postgres-snapshot.ts'
import { findClientTools } from './postgres-tools.ts'
import { pgKeepBindings } from './postgres-keep.ts'
import { attachKept, dropSwapSchemas, schemaSwapSide, swapSchemas } from './postgres-schema-swap.ts'
import { schemaSwapCheck } from './postgres-swap-path.ts'
import { postgresCanary } from './postgres-canary.ts'
import { newestServerMajor } from './postgres-newest-major.ts'

/** A PostgreSQL driver with its own state (servers probed, WAL samples of the lag throttle): one per run. */
export function createPostgresDriver(): Driver {
  // The newest server probed by this run (source, staging, target): its client tools run SQL files and schema copies.
  let serverMajor = 0
  const tools = () => findClientTools(serverMajor || 10)
  const walHistories: WalHistories = new Map()
  return {
    engine: 'postgres',
    fileExtension: 'copy',
    checksumAlgorithm: POSTGRES_CHECKSUM_ALGORITHM,

    async probe(ep: Endpoint): Promise<ServerInfo> {
      const client = await pgConnect(ep)
      try {
        const { rows } = await client.query('SELECT current_setting($1) AS num, current_setting($2) AS version', ['server_version_num', 'server_version'])
        const num = Number(rows[0].num)
        const major = num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 100) / 100
        serverMajor = Math.max(serverMajor, major)
        return { version: rows[0].version, major }
      } finally {
        await client.end()
      }
    },

    async checkSource(ep, options = {}) {
      const client = await pgConnect(ep)
      try {
        const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_largeobject_metadata')
        if (rows[0].n > 0) {
          throw new DrydockError('DD_UNSUPPORTED_LARGE_OBJECTS', `${ep.database} holds ${rows[0].n} large object(s) (pg_largeobject), which drydock does not carry`, {
            stage: 'preflight', hint: 'move them into bytea columns first, or upgrade this database with pg_dump/pg_restore',
          })
        }
        if (!options.refreshMaterializedViews) await checkMaterializedViews(client, ep.database)
      } finally {
        await client.end()
      }
    },

    async checkTools(server) {
      findClientTools(server.major)
    },

    describeServer: (server) => `PostgreSQL ${server.version}`,
    newestServerMajor,
    // A clone is cheaper than dump files; an ephemeral server's whole data directory is cheaper still.
    checkpointKind: (staging) => (staging === 'ephemeral' ? 'data-directory' : 'database-copy'),
    canaryTable: postgresCanary,

    async connect(ep) {
      return new PostgresSession(await pgConnect(ep), ep.schemaMap)
    },

    openSnapshot,
    databaseExists,
    createDatabase,
    dropDatabase,
    cloneDatabase,
    isEmpty,

    async prepareStaging(source, staging) {
      await prepareStaging(source as PostgresSession, staging)
    },

    async copySchema(from, to, section, options) {
      await copySchema(tools(), from, to, section, options)
    },

    async runSqlFile(ep, file, logFile) {
      await applySql(tools(), ep, file, logFile, 'DD_MIGRATION_FAILED', 'SQL migration')
    },

    migrationEnv,

    startEphemeral: startEphemeralPostgres,

    swap: swapDatabases,
    swapSide,
    keepsLiveTables: true,
    schemaSwap: {
      check: schemaSwapCheck,
      async bindings(staging, schemas) {
        const client = await pgConnect(staging)
        try {
          return await pgKeepBindings(client, schemas)
        } finally {
          await client.end().catch(() => {})
        }
      },
      attachKept,
      swap: swapSchemas,
      side: schemaSwapSide,
      dropSchemas: dropSwapSchemas,
      repairStaging: (staging, map) => renameSchemas(staging, Object.entries(map).map(([schema, shadow]) => [shadow, schema])),
    },
    copyPartMB: null,
    lockSource,
    isTransient: isTransientPostgres,
    preflightChecks: postgresPreflightChecks,
    replicaLag: (primary, replicas) => postgresReplicaLag(walHistories, primary, replicas),
    logPosition: walPosition,
    makeDurable: flushCommits,
    logBytes: walBytes,
  }
}

/** A driver for tests and tools that share one. */
export const postgresDriver = createPostgresDriver()
