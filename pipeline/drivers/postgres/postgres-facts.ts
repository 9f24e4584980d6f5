import type { EngineFacts } from '../engine-facts.ts'

export const postgresFacts: EngineFacts = {
  schemes: ['postgres', 'postgresql'],
  defaultPort: 5432,
  product: 'PostgreSQL',
  env: { user: 'PGUSER', password: 'PGPASSWORD' },
  defaultUser: 'postgres',
  adminDatabase: 'template1',
  tablesByDatabase: false,
  dumpFormat: 'copy-text',
  // Files written and fsynced; COPY into staging streamed beside them; checksums on both sides in parallel.
  // Re-measured with bench/plan-accuracy.ts at scales 1 and 4 (2 workers): dump 3.3–3.5× the sample's
  // read, load 0.8–0.9×, hop 1 0.55–0.7×; the load back of every table from the PostgreSQL bench.
  roughPlan: { dump: 3.4, load: 0.85, hop: 0.56, loadback: 4.2 },
  replication: {
    log: 'wal',
    logMayBeOff: false,
    defaultLoad: 'replicated',
    noDirectLoad: 'a PostgreSQL physical standby cannot be written; expected "replicated" (the WAL of the changed tables is what it receives, and the report shows how much)',
    replayNote: 'a physical standby replays the WAL of every changed table',
    noReplicaHint: 'no standby is streaming from it',
  },
  demoSuperuser: 'patchwork',
}
