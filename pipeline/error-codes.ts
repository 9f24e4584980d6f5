/**
 * Every code drydock raises or logs, with what it means and what the operator does about it.
 * DrydockError only takes a code from this table, so tsc proves the table complete;
 * docs/errors.md is generated from it (`npm run docs`).
 * kind: 'error' stops the run; 'warning' is logged and reported, the run goes on;
 * 'error or warning' is either, depending on how far off the check is.
 */
export interface ErrorCodeInfo {
  readonly kind: 'error' | 'warning' | 'error or warning'
  readonly meaning: string
  readonly fix: string
}

const error = (meaning: string, fix: string): ErrorCodeInfo => ({ kind: 'error', meaning, fix })
const warning = (meaning: string, fix: string): ErrorCodeInfo => ({ kind: 'warning', meaning, fix })
const either = (meaning: string, fix: string): ErrorCodeInfo => ({ kind: 'error or warning', meaning, fix })

export const ERROR_CODES = {
  // Config and command line
  DD_CONFIG_INVALID: error('the config file (or a transform file it names) has problems, all listed one per line: unknown or missing options, malformed URLs (a password holding `@ : / ? #` unencoded), a `target` that is the source itself', 'fix the config file (docs/config.md); percent-encode the password or use `PGPASSWORD`/`MYSQL_PWD`'),
  DD_CONFIG_MISSING: error('the config file was not found', 'pass `--config FILE`, or create `upgrade.config.mjs` from `upgrade.config.example.mjs`'),
  DD_CONFIRMATION_NEEDED: error('drydock is about to write production but there is no terminal to ask; production untouched', 'rerun with `--yes`; the message gives the exact `--resume RUN --yes`'),
  DD_ABORTED: error('the answer at the confirmation was no; production untouched', 'continue later with the `--resume RUN --yes` the message gives'),
  DD_INTERRUPTED: error('stopped by Ctrl-C or SIGTERM (exit code 130), also at the confirmation question; units under way rolled back', '`--resume RUN`'),
  DD_DEMO_FAILED: error('`npm run demo` failed (the cause follows)', 'read the cause; the demo needs the PostgreSQL (or MariaDB) server binaries'),
  DD_FIXTURE_FAILED: error('`scripts/make-fixture.mjs` failed to generate a section of the fixture', 'read the log file named'),
  DD_COMPARE_ENGINES: error('`--verify` was given a PostgreSQL and a MySQL database, whose checksums differ by design', 'compare two databases of one engine'),

  // Reaching the servers
  DD_UNREACHABLE: error('a server cannot be reached', 'check host, port, firewall and that the server runs'),
  DD_CONNECT_FAILED: error('a connection to a server failed for another reason (the cause is named)', 'read the cause; transient ones are retried'),
  DD_AUTH_FAILED: error('a server refused the user', 'fix user or password (URL, `PGPASSWORD`, `~/.pgpass`, `MYSQL_PWD`)'),
  DD_DATABASE_MISSING: error('the server lacks the database named', 'fix the database name in the URL'),
  DD_CONNECTION_LOST: error('a connection was lost outside a retried unit (a proxy cut it, the server went away); resumable', 'lower `idleLimitSeconds` below the proxies\' idle timeout if a proxy cut it, then `--resume RUN`'),
  DD_TRANSIENT_EXHAUSTED: error('a unit (a table\'s dump, load or checksum) kept failing on transient errors after its four attempts; resumable', 'fix what breaks the connections (the cause is named), then `--resume RUN`'),

  // Client tools and staging
  DD_PG_DUMP_MISSING: error('no `pg_dump`/`psql` of the server\'s major version or newer was found', 'install the PostgreSQL client tools of that version (e.g. `apt-get install postgresql-client-15`)'),
  DD_MYSQL_CLIENT_MISSING: error('no `mysql` or `mariadb` command-line client was found', 'install the MariaDB or MySQL client'),
  DD_STAGING_BINARIES_MISSING: error('no server binaries of production\'s version were found for ephemeral staging', 'install them (PostgreSQL of that major, `mariadb-server`), or give a staging URL'),
  DD_STAGING_START_FAILED: error('the ephemeral staging server could not be initialized or started (its log\'s last lines shown)', 'read `logs/tools.log`; fix the cause (disk, permissions, port) and `--resume RUN`'),
  DD_STAGING_USER_MISSING: error('running as root, but no `postgres`/`mysql` system user exists to run the staging server', 'create that user, or run drydock as another user'),
  DD_STAGING_NOT_EMPTY: error('the staging database on the URL given already holds tables', 'give a new or empty database, or `staging: \'ephemeral\'`'),
  DD_STAGING_TOO_OLD: error('the staging server runs an older version than production', 'use a staging server of production\'s major version, or `staging: \'ephemeral\'`'),
  DD_STAGING_ROLES: error('staging lacks a role or definer that the source\'s grants, views, routines or triggers name, and drydock cannot create it', 'create it on staging, or let drydock\'s account create users'),
  DD_RESUME_STAGING_GONE: error('`--resume` cannot find the run\'s ephemeral staging server', '`--cleanup RUN` and start a new run'),

  // Snapshot and reading production
  DD_TABLE_NOT_FOUND: error('`tables.include` (or `-t`) names no existing table', 'fix the pattern (`schema.table` or `table`, `*` wildcard)'),
  DD_SNAPSHOT_PRIVILEGE: error('MySQL: the user lacks `RELOAD`, which `FLUSH TABLES WITH READ LOCK` needs for a consistent snapshot', 'run the GRANT the message names'),
  DD_SNAPSHOT_LOCK_TIMEOUT: error('MySQL: `FLUSH TABLES WITH READ LOCK` waited 120 s for running statements', 'stop the application (a long query or open transaction holds tables) and retry'),
  DD_SNAPSHOT_LOST: error('the snapshot cannot be joined again: on PostgreSQL the connection holding it was lost; on MySQL connections kept breaking and the spare snapshot sessions are used up; resumable', '`--resume RUN` (it takes a new snapshot)'),
  DD_UNSUPPORTED_LARGE_OBJECTS: error('the PostgreSQL source holds large objects (`pg_largeobject`), which drydock does not carry', 'move them into `bytea` columns first, or upgrade in place'),
  DD_MATVIEW_STALE: error('a populated PostgreSQL materialized view holds rows its query no longer returns; drydock can only recreate it by a refresh', 'refresh it first, or set `refreshMaterializedViews: true`'),
  DD_LOCATE_UNSUPPORTED: error('a key asked for by part splitting or `--locate` is not an integer column (handled inside: the table then moves whole)', 'nothing: drydock falls back by itself'),

  // Schema, dump and load
  DD_SCHEMA_DUMP_FAILED: error('`pg_dump` (or reading a MySQL definition, e.g. events without the `EVENT` privilege) failed', 'read `logs/tools.log`; grant what is named'),
  DD_SCHEMA_APPLY_FAILED: error('applying the schema (pre-data, post-data, events) to staging or the copy failed', 'read `logs/tools.log`; fix the cause and `--resume RUN`'),
  DD_DUMP_CORRUPT: error('a dump file changed after it was written (its sha256 differs from the recorded one)', '`--resume RUN` dumps that table again'),
  DD_LOAD_COUNT_MISMATCH: error('the server took another number of rows from a file than the file holds', '`--resume RUN`; if it repeats, report it with the run directory'),
  DD_LOAD_WARNINGS: error('MySQL: `LOAD DATA` changed or skipped values (any warning fails and rolls back the table)', 'read the warnings named; fix the column or `sql_mode` that causes them'),
  DD_LOCAL_INFILE_OFF: error('MySQL: the server refuses `LOAD DATA LOCAL INFILE`', '`SET GLOBAL local_infile = ON` (or `local_infile=1` in its config)'),
  DD_DISK_FULL: error('the run directory\'s disk filled up while writing a file or the manifest', 'free space, then `--resume RUN`'),
  DD_TRANSFORM_FAILED: error('a row transform threw or returned a bad row (transform, table and key named), or its rows could not be written', 'fix the transform; try it with `--sample N --transform FILE`; `--resume RUN`'),
  DD_EXPECTATION_FAILED: error('an expectation does not hold on migrated staging (each named, with the values found); production untouched', 'fix the migration or the expectation; `--resume RUN --from migrate`'),

  // Verification and fences
  DD_VERIFY_MISMATCH: error('a checksum hop found different data (tables, sequences or materialized views named); production untouched', 'read `report.md`; compare with `--verify --left … --right … --locate`'),
  DD_CANARY_FAILED: error('a value of the canary table came back different (column and type named), before any production data moved', 'report it: the engine or setting named does not round-trip'),
  DD_CANARY_CLEANUP: error('the canary passed but one of its scratch databases could not be dropped', 'drop the database named by hand'),
  DD_WRITE_FENCE: error('production was written between the snapshot and the swap (tables and evidence named); nothing swapped, no `--force`', 'stop every writer, then run again from the start'),
  DD_WRITE_FENCE_UNPROVEN: error('a table\'s quiet since the snapshot could not be proven; nothing swapped', 'stop every writer, then run again from the start'),
  DD_FENCE_UNSUPPORTED: error('the engine\'s driver cannot read write-fence marks', 'use a supported engine'),
  DD_SHADOW_CHANGED: error('the production copy (or a replica\'s direct copy) was written, or cannot be proven unwritten, between hop 2 and the swap, e.g. by a `beforeSwap` hook; nothing swapped', 'keep hooks from writing the copy; run again from the start'),
  DD_REFRESH_SCHEMA_CHANGED: error('the refresh of a prestaged run found a table whose columns, types or primary key changed since the prestage, or another schema change with the same tables; staging and production untouched', 'undo the change and `--resume RUN`, or `--cleanup RUN` and prestage again'),

  // Migration
  DD_MIGRATION_FAILED: error('a migration step failed (its last output lines shown, in `steps/NN-<kind>.log`); production untouched', 'fix the step; `--resume RUN --from migrate` (a plain `--resume` reruns the step on a staging it may have half-migrated)'),
  DD_MIGRATION_FILES_MISSING: error('a migration step\'s `sql` names no file', 'fix `migrate[n].sql` (relative to the config file)'),
  DD_HOOK_FAILED: error('a config hook exited non-zero; the run stopped at that point', 'read `hooks/<point>.log`; fix the hook'),

  // Checkpoints
  DD_CHECKPOINT_FAILED: error('a staging checkpoint could not be taken or restored', 'read the cause (room on the staging server or in the run directory, sessions on staging)'),
  DD_CHECKPOINT_MISSING: error('the checkpoint is gone and the dump files or hop 1\'s checksums cannot rebuild staging', '`--cleanup RUN` and start a new run (`--checkpoint` keeps one from the start)'),
  DD_CHECKPOINT_MISMATCH: error('restored staging differs from what hop 1 verified', '`--cleanup RUN` and start a new run'),

  // Resume and run directory
  DD_RESUME_MISMATCH: error('`--resume` with a config for another source than the run\'s', 'pass the run\'s config'),
  DD_RESUME_SCHEMA_CHANGED: error('production\'s schema changed since the run began (tables, columns, constraints, indexes or views)', 'undo the change, or `--cleanup RUN` and start a new run'),
  DD_RESUME_FROM_MIGRATE_EARLY: error('`--resume RUN --from migrate` before hop 1 verified staging', 'plain `--resume RUN` first'),
  DD_NOTHING_TO_RESUME: error('`--resume` of a finished run', 'nothing to do; `--rollback` or `--cleanup` it'),
  DD_NOT_ABANDONABLE: error('`--cleanup` of a finished run that did not swap: there is nothing to discard', 'use `--cleanup` on a swapped run to drop its backup'),
  DD_RUN_NOT_FOUND: error('no run at the directory or run id given (`manifest.json` missing)', 'pass a run directory, or a run id of the config\'s run directory (`--list`)'),
  DD_RUN_CONFIG_MISMATCH: error('`--rollback`/`--cleanup`/`--resume` with a `--config` that names another database than the run\'s (both named; nothing changed)', 'pass the run\'s config, or none'),
  DD_RUN_LOCKED: error('another process uses the run directory (pid and host named)', 'wait for it, or stop it; a lock of a process that is gone is taken over'),
  DD_SOURCE_LOCKED: error('another run holds the production database (run id, pid and address named)', 'wait for that run, or stop it'),

  // Load back, replicas and throttle
  DD_TARGET_NOT_EMPTY: error('the `target` database already holds tables', 'give a new or empty database'),
  DD_DATABASE_EXISTS: error('a database drydock creates (shadow, staging, rehearsal target) already exists', 'drop it if an earlier run left it, or resume that run'),
  DD_THROTTLE_NOT_A_REPLICA: error('a `throttle.replicas` URL is not a replica', 'fix or remove the URL'),
  DD_THROTTLE_PRIVILEGE: error('the user may not read the replication status', 'grant `pg_monitor` (PostgreSQL) or `SLAVE MONITOR`/`REPLICATION CLIENT` (MySQL)'),
  DD_THROTTLE_NOT_PRIMARY: error('the load target is not a primary', 'point `source`/`target` at the primary'),
  DD_THROTTLE_REPLICAS_UNLISTED: error('MySQL replicas read the binary log but none is listed, or none can be watched', 'list them in `replicas` or `throttle.replicas`'),
  DD_BINLOG_PRIVILEGE: error('a direct replica load needs `SET SESSION sql_log_bin = 0` on a replica and the account may not (on the primary the load falls back to the binary log instead)', 'run the GRANT named (`BINLOG ADMIN`, `SYSTEM_VARIABLES_ADMIN` or `SUPER`), or set that replica to `load: \'replicated\'`'),
  DD_REPLICA_BEHIND: either('a replica to be loaded directly did not apply the primary\'s binary log within 10 minutes (or its SQL thread stopped); after the swap the same is a warning', 'start or catch up the replica, then `--resume RUN`'),
  DD_REPLICA_UNVERIFIED: error('a replica\'s direct copy reached the swap without hop 2\'s verification; nothing swapped', 'run again from the start'),

  // Swap, rollback and cleanup
  DD_SWAP_BUSY: error('sessions are connected to the database (schema swap: they held locks for longer than 30 s)', 'stop the application (the sessions are named), then `--resume RUN`'),
  DD_SWAP_FAILED: error('the rename failed, or (MySQL) recreating views, triggers or routines after it failed: rolled back, production as it was', 'read the cause, then `--resume RUN`'),
  DD_SWAP_INCOMPLETE: error('MySQL: the tables were swapped, recreating an object failed and taking the rename back failed too', 'recreate what the message names from the run directory'),
  DD_SCHEMA_SWAP_KEPT: error('schema swap: an object of the copy still uses a kept table\'s empty twin, so the twin cannot give way to the live table; nothing swapped', 'set `keepLive: false`, or report it with the object named'),
  DD_SWAP_SCHEMA_IN_USE: error('`--cleanup` of a schema swap: objects outside the backup (or rejected) schemas use objects inside, which `DROP SCHEMA … CASCADE` would take too; nothing dropped', 'drop or re-point the objects named, then `--cleanup RUN` again'),
  DD_NOT_SWAPPED: error('`--rollback`/`--cleanup` of a run that has no swapped database', 'check the run with `--status RUN`'),

  // Pre-flight
  DD_PREFLIGHT_FAILED: error('a pre-flight check failed (the check and its detail named)', 'follow the hint; `--plan` lists every check'),
  DD_PREFLIGHT_PRIVILEGE: error('a privilege a stage needs is missing', 'run the GRANT the message names'),
  DD_PREFLIGHT_SNAPSHOT: error('PostgreSQL: the source cannot export a snapshot', 'use the primary, or a standby of PostgreSQL 10 or newer'),
  DD_PREFLIGHT_DISK: either('the run directory\'s disk may not hold the estimate (a warning with less than 20 % to spare or when it cannot be measured)', 'free space, or set `runDir` to a larger disk'),
  DD_PREFLIGHT_RUN_DIR: error('the run directory cannot be created or written (a file in its path, read-only disk, permissions)', 'fix the path or its permissions, or set `runDir`'),
  DD_PREFLIGHT_NAME_TAKEN: error('the shadow or backup names are taken (an earlier run left them)', 'resume that run, or drop them if not needed'),
  DD_PREFLIGHT_LOCAL_INFILE: error('MySQL: a server refuses `local_infile`', '`SET GLOBAL local_infile = ON` (or `local_infile=1` in its config)'),
  DD_PREFLIGHT_TARGET_VERSION: error('the `target` server runs an older version than production', 'load into a server of production\'s major version or newer'),
  DD_PREFLIGHT_SETTING: warning('a server setting drydock relies on is off (PostgreSQL `track_counts`: the write fence falls back to checksums)', 'turn it on (`ALTER SYSTEM SET track_counts = on; SELECT pg_reload_conf()`)'),
  DD_PREFLIGHT_CONNECTIONS: warning('fewer free connection slots than the run opens', 'lower `--jobs`, or stop other clients'),
  DD_PREFLIGHT_REPLICA: warning('a replica listed for a direct load cannot be loaded directly (unreachable, not a replica, no status); the load goes through the binary log', 'fix the URL or the account in `replicas`, or remove the entry'),
  DD_PREFLIGHT_VERSIONED: error('MariaDB system-versioned tables (named), whose history drydock cannot carry', 'upgrade them in place, or take the history out first and add it back afterwards'),
  DD_PREFLIGHT_NON_TRANSACTIONAL: warning('MyISAM/Aria tables, consistent only if nothing writes them (the write fence proves it)', 'keep every writer stopped for the whole run, or convert them to InnoDB'),
  DD_PREFLIGHT_SILENT_STATEMENT: warning('the longest expected silent statement (the biggest index build) may exceed `idleLimitSeconds`', 'raise the proxies\' idle timeout and `idleLimitSeconds` together'),
  DD_PREFLIGHT_STEP: error('a migration step\'s input cannot be checked (the cause named)', 'fix the step in `migrate`'),
  DD_PREFLIGHT_STEP_FILES: error('a migration step\'s SQL files do not exist or are unreadable (a glob matches none)', 'fix `migrate[n].sql` (relative to the config file), or add the file'),
  DD_PREFLIGHT_STEP_COMMAND: error('a program of a migration step\'s command does not resolve (on PATH or relative to its folder)', 'install it, or fix `migrate[n].command`'),
  DD_PREFLIGHT_STEP_CWD: error('a migration step\'s working folder does not exist', 'create it, or fix `migrate[n].cwd` (relative to the config file)'),
  DD_PREFLIGHT_STEP_TRANSFORM: error('a transform step\'s file does not load or has no transform\'s shape', 'fix the transform file'),

  // Anything else
  DD_INTERNAL_STAGE_NEEDS: error('a bug in drydock: a stage was about to run without what an earlier stage sets up for it (the snapshot, staging or the production copy, named)', 'report it with `logs/events.jsonl`; `--resume RUN` sets the finished stages\' resources up again'),
  DD_INTERNAL_CAPABILITY: error('a bug in drydock: the run took a path (schema swap, checkpoint clone, direct replica load, trigger suspension) that the engine\'s driver cannot take (the capability named)', 'report it with `logs/events.jsonl`; production is as the stage\'s message says'),
  DD_UNEXPECTED: error('an error drydock did not anticipate (the stage and cause named)', 'read the cause and `logs/events.jsonl`; `--resume RUN` once fixed, and report it'),
} as const satisfies Record<string, ErrorCodeInfo>

export type ErrorCode = keyof typeof ERROR_CODES
