/** The command line's help text and every flag it accepts (docs/cli.md lists each one). */

export const HELP = `drydock: offline database upgrade — dump → stage → migrate → verify → load back → swap

Usage:
  npx zx scripts/offline-upgrade.mjs --plan [--config FILE]        what a run would do, disk and time (writes nothing)
  npx zx scripts/offline-upgrade.mjs --rehearse [--config FILE]    every stage, but never swap production
  npx zx scripts/offline-upgrade.mjs [--config FILE] [options]    run an upgrade
  npx zx scripts/offline-upgrade.mjs --prestage [--config FILE]    before the window, while the application runs: snapshot,
                                                                   staging, dump, load, hop 1, then stop (staging kept)
  npx zx scripts/offline-upgrade.mjs --resume RUN_DIR              in the window, after a --prestage (application stopped):
                                                                   refresh staging from production, then migrate … swap
  npx zx scripts/offline-upgrade.mjs --resume RUN_DIR              continue a run that stopped (error, Ctrl-C, kill)
  npx zx scripts/offline-upgrade.mjs --resume RUN_DIR --from migrate   run the migration again from the staging checkpoint
  npx zx scripts/offline-upgrade.mjs --sample N --transform FILE   try a row transform on the first N source rows (reads only)
  npx zx scripts/offline-upgrade.mjs --rollback RUN               swap the run's old database back (RUN: its directory or run id)
  npx zx scripts/offline-upgrade.mjs --cleanup RUN                drop the run's old-database backup (after a swap),
                                                                   or discard a stopped run's staging and copies
  npx zx scripts/offline-upgrade.mjs --list [--config FILE]        the runs in the run directory and where each stands
  npx zx scripts/offline-upgrade.mjs --status RUN                 one run's state, stage by stage, and what to do next
  npx zx scripts/offline-upgrade.mjs --verify --left URL --right URL [--locate] [--out DIR]
                                                                   compare two databases table by table

Options:
  -c, --config FILE     config file (.mjs or .ts)       default: upgrade.config.mjs, then .ts
  -y, --yes             do not ask before loading the migrated data into production
  -t, --table PATTERN   carry only these tables' rows (repeatable; replaces tables.include;
                        the other tables travel empty, like pg_dump --exclude-table-data)
  -T, --exclude-table PATTERN
                        also leave these tables' rows out (repeatable; adds to tables.exclude)
  -v, --verbose         also print the run's events (tables done, retries, decisions) to stderr
  -q, --quiet           no progress display: only errors and the final summary
      --keep-staging    keep the ephemeral staging server's data directory (stopped)
      --checkpoint      keep a checkpoint of staging after hop 1 (always on with --rehearse)
  -j, --jobs N          parallel workers                default: config jobs, else CPU cores
      --max-rate RATE   limit the load into production  default: config throttle.maxRate, else none
                        (all streams together): 50MB/s, 800KB/s, bytes per second, or off
      --part-mb N       split tables bigger than N MiB  default: config partMB, else 128
      --compress gzip   compress dump files (gzip level 1)   default: config compress, else none
      --no-direct       write every dump file first, then load the files (default: stream
                        straight into the next database while writing the files)
      --max-replica-lag SECONDS
                        pause the load while a replica  default: config throttle.maxReplicaLag, else none
                        lags more than this, or off
      --idle-limit SECONDS
                        the longest a connection to a   default: config idleLimitSeconds, else 60
                        server may stay silent (below every proxy's idle timeout on the way)
  -V, --version         drydock's version and commit
  -h, --help            this help

Verify (read-only on both sides; no config needed):
      --left URL, --right URL   the two databases (postgres://user@host:port/db)
      --locate          for differing tables with an integer primary key, list the differing keys
      --out DIR         also write compare.json and compare.md to DIR
      --schema NAME     compare only this schema (repeatable)   default: every non-system schema
  -j, --jobs N          sessions per side                       default: CPU cores, at most 4

Exit codes: 0 verified (or rollback/cleanup done; with --verify: every table equal), 1 stopped with
an error (production as it was unless the message says otherwise; with --verify: differences
found), 2 wrong arguments, 130 stopped by Ctrl-C/SIGTERM (resumable).`

export const CLI_OPTIONS = {
  config: { type: 'string', short: 'c' },
  yes: { type: 'boolean', short: 'y', default: false },
  'keep-staging': { type: 'boolean', default: false },
  jobs: { type: 'string', short: 'j' },
  rollback: { type: 'string' },
  resume: { type: 'string' },
  from: { type: 'string' },
  checkpoint: { type: 'boolean', default: false },
  cleanup: { type: 'string' },
  plan: { type: 'boolean', default: false },
  rehearse: { type: 'boolean', default: false },
  prestage: { type: 'boolean', default: false },
  verify: { type: 'boolean', default: false },
  left: { type: 'string' },
  right: { type: 'string' },
  locate: { type: 'boolean', default: false },
  out: { type: 'string' },
  schema: { type: 'string', multiple: true },
  sample: { type: 'string' },
  transform: { type: 'string' },
  'max-rate': { type: 'string' },
  'part-mb': { type: 'string' },
  'no-direct': { type: 'boolean', default: false },
  compress: { type: 'string' },
  'max-replica-lag': { type: 'string' },
  'idle-limit': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'V', default: false },
  list: { type: 'boolean', default: false },
  status: { type: 'string' },
  table: { type: 'string', short: 't', multiple: true },
  'exclude-table': { type: 'string', short: 'T', multiple: true },
  verbose: { type: 'boolean', short: 'v', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
} as const
