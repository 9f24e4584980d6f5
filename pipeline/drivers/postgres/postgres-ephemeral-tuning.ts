import type { Endpoint } from '../../config/endpoint.ts'
import { pgConnect } from './postgres-connect.ts'

/**
 * lz4 for TOAST compression on the ephemeral staging server (PostgreSQL 14+ built with lz4,
 * as the Debian and PGDG packages are): COPY into a table of long values (diffs, mail
 * bodies) spends most of its time in pglz, and lz4 compresses several times faster (the
 * benchmark's patch table loads in 4.4 s instead of 11.7 s). Staging is thrown away, so its
 * storage format does not matter; the values read back are the same. Servers without lz4 keep
 * pglz. Set with ALTER SYSTEM after the start, since an unknown value in the config file would
 * stop the server from starting.
 */
export async function preferLz4(endpoint: Endpoint): Promise<void> {
  const client = await pgConnect(endpoint).catch(() => undefined)
  if (!client) return
  try {
    await client.query("ALTER SYSTEM SET default_toast_compression = 'lz4'")
    await client.query('SELECT pg_reload_conf()')
  } catch {
    // older than 14, or built without lz4: pglz stays
  } finally {
    await client.end().catch(() => {})
  }
}
