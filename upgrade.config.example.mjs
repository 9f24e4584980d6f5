// An upgrade config to copy: `cp upgrade.config.example.mjs upgrade.config.mjs`, then edit.
// Every option is shown; the commented ones hold their defaults. Reference: README.md "Config reference".
// Passwords: leave them out of the URL and set PGPASSWORD / MYSQL_PWD in the environment.
import { defineUpgrade } from 'drydock'

export default defineUpgrade({
  // Production: postgres://, mysql:// or mariadb://user@host:port/database
  source: 'postgres://patchwork@db.example.org:5432/patchwork',
  // A throwaway server of the same major version started in the run directory, or a URL of a
  // database drydock creates (it must not exist, or be empty).
  staging: 'ephemeral',
  // target: 'postgres://patchwork@db2.example.org:5432/patchwork_new',  // load into another server instead of swapping in place
  // Where --rehearse loads its copy back (verified, then dropped): 'staging' (a second database on the
  // staging server), a database URL of your choice, or 'production' (the shadow on production, as a real run).
  // rehearsalTarget: 'staging',
  // schemas: ['public'],
  tables: {
    // Rows you can lose travel empty (the tables themselves are kept): sessions, caches.
    exclude: ['public.django_session'],
  },
  // runDir: './drydock-runs',
  migrate: [
    { name: 'schema changes', sql: 'upgrade/*.sql' },
    {
      name: 'django migrations',
      command: 'python3 manage.py migrate --noinput',
      // cwd: '/srv/patchwork',  // where manage.py lives (default: this file's folder)
      env: { DJANGO_SETTINGS_MODULE: 'patchwork.settings.production', DATABASE_HOST: '{host}', DATABASE_PORT: '{port}' },
    },
  ],
  expect: [
    { name: 'every patch kept', rows: 'patchwork_patch', equals: 'before:patchwork_patch' },
    { name: 'every foreign key resolves', foreignKeys: true },
  ],
  hooks: {
    beforeSnapshot: 'systemctl stop patchwork-web patchwork-workers',
    afterSwap: 'systemctl start patchwork-web patchwork-workers',
    onFailure: 'systemctl start patchwork-web patchwork-workers',
  },
  throttle: {
    maxRate: '100MB/s',
    // maxReplicaLag: 30,
    // replicas: ['postgres://monitor@standby-1.example.org:5432/patchwork'],
  },
  // Production's replicas: on MySQL/MariaDB each gets its own verified copy with no row through
  // the binary log ('direct', the default there); PostgreSQL standbys follow the WAL ('replicated').
  // replicas: [{ url: 'mysql://drydock@replica-1.example.org:3306/patchwork', load: 'direct' }],
  // PostgreSQL: a populated materialized view whose contents are stale is refused unless it may be refreshed.
  // refreshMaterializedViews: false,
  // jobs: 4,              // parallel workers (default: CPU cores)
  // partMB: 128,          // split tables bigger than this (MiB)
  // direct: true,         // stream each part straight into the next database while writing its file
  // keepLive: true,       // tables the migration left unchanged stay live (false: copy all; PostgreSQL swaps the whole database)
  // compress: 'none',     // or 'gzip'
  // idleLimitSeconds: 60, // below every proxy's idle timeout on the way to the servers
})
