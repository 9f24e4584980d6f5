import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { describe, type MysqlLink, quoteIdent } from './mysql-connect.ts'

/**
 * Events stay with the live database in an in-place upgrade (never on staging, where they would
 * fire). A separate target gets them from the source after the load, each as SHOW CREATE EVENT
 * prints it (definer, schedule, ENABLE/DISABLE state, comment), under its own sql_mode and
 * time zone (its STARTS/ENDS are printed in it). Returns how many were created.
 */
export async function copyEvents(link: MysqlLink, source: Endpoint, target: Endpoint): Promise<number> {
  const from = await link.connect(source)
  const events: { name: string; sql: string; sqlMode: string; timeZone: string }[] = []
  try {
    const rows = await from.query('SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY EVENT_NAME')
    for (const r of rows) {
      const [def] = await from.query(`SHOW CREATE EVENT ${quoteIdent(r.name!)}`)
      if (!def?.['Create Event']) {
        throw new DrydockError('DD_SCHEMA_DUMP_FAILED', `cannot read the definition of event ${quoteIdent(r.name!)}: user "${source.user}" lacks the EVENT privilege`, {
          stage: 'loadback', hint: 'grant EVENT on the database to the account drydock runs as',
        })
      }
      events.push({ name: r.name!, sql: def['Create Event'], sqlMode: def.sql_mode ?? '', timeZone: def.time_zone ?? 'SYSTEM' })
    }
  } finally {
    await from.close()
  }
  if (events.length === 0) return 0
  const to = await link.connect(target)
  try {
    const [saved] = await to.query('SELECT @@SESSION.sql_mode AS mode, @@SESSION.time_zone AS tz')
    for (const event of events) {
      try {
        await to.query('SET SESSION sql_mode = ?, time_zone = ?', [event.sqlMode, event.timeZone])
        await to.query(event.sql)
      } catch (error) {
        throw new DrydockError('DD_SCHEMA_APPLY_FAILED', `creating event ${quoteIdent(event.name)} on ${describe(target)} failed: ${(error as Error).message}`, {
          stage: 'loadback', hint: `create it there by hand (SHOW CREATE EVENT ${quoteIdent(event.name)} on the source), then resume`,
        }, { cause: error })
      } finally {
        await to.query('SET SESSION sql_mode = ?, time_zone = ?', [saved!.mode ?? '', saved!.tz ?? '+00:00'])
      }
    }
    return events.length
  } finally {
    await to.close()
  }
}
