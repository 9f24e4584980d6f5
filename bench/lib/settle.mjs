/**
 * Waits until the server has finished the work the previous step left behind (InnoDB purging undo
 * history and flushing dirty pages; on PostgreSQL, a checkpoint, taken on request), so a timing
 * taken next measures drydock, not the server's own catch-up. Issue 15 found this was not what
 * made the MariaDB scale-4 plan ×8 too long (the sample's timing was), but a bench must rule it out.
 *
 * Then the kernel's page cache is dropped (as root): every timed step reads its data from disk, as
 * it would on a production database bigger than memory. Without it, which step found its tables
 * cached depended on what the bench had done before (four copies of scale 1 and 4 on both engines
 * are 34 GB on a 24 GiB machine). It was not what made a MariaDB rehearsal's dump slower than the
 * real run's dump of the same data (48 s against 31 s warm, 44 s against 27.5 s cold).
 */
import { writeFileSync } from 'node:fs'
import { must, q } from './sh.mjs'
import { mysqlCli } from './generate-mysql.mjs'
import { psql } from './generate-pg.mjs'

const INNODB_FIGURES = "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total', 'Innodb_history_list_length')"

export async function innodbBacklog() {
  const out = (await must(`${mysqlCli('', '-N -B')} -e ${q(INNODB_FIGURES)}`)).stdout
  const value = Object.fromEntries(out.trim().split('\n').map((line) => line.split('\t')).map(([k, v]) => [k, Number(v)]))
  return {
    dirtyShare: value.Innodb_buffer_pool_pages_dirty / value.Innodb_buffer_pool_pages_total,
    history: value.Innodb_history_list_length,
  }
}

/**
 * Settled: under 1000 undo records to purge and the dirty pages no longer falling (or under 1 %
 * of the pool), or `limitMs` gone by (said in the log). Dirty pages alone are no sign: with
 * innodb_max_dirty_pages_pct_lwm = 0 (MariaDB's default) an idle server leaves them dirty.
 */
export async function settle(engine, log, limitMs = 15 * 60_000) {
  const result = await serverSettled(engine, log, limitMs)
  return { ...result, cold: await dropPageCache(log) }
}

/** Whether the kernel's page cache could be dropped (root only). */
async function dropPageCache(log) {
  await must('sync')
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n')
    return true
  } catch (error) {
    log(`page cache kept (${error.code}): timings may read cached data`)
    return false
  }
}

async function serverSettled(engine, log, limitMs) {
  if (engine === 'pg') {
    await must(`${psql('postgres', '-At')} -c CHECKPOINT`)
    log('PostgreSQL: checkpoint taken')
    return { waitedMs: 0, settled: true }
  }
  const started = Date.now()
  let previous
  for (;;) {
    const b = await innodbBacklog()
    const waitedMs = Date.now() - started
    const flushing = previous !== undefined && b.dirtyShare < previous.dirtyShare
    const quiet = b.dirtyShare < 0.01 || (previous !== undefined && !flushing)
    previous = b
    if (quiet && b.history < 1000) {
      log(`InnoDB settled after ${(waitedMs / 1000).toFixed(0)} s (dirty ${(b.dirtyShare * 100).toFixed(1)} % of the pool, history ${b.history})`)
      return { waitedMs, settled: true }
    }
    if (waitedMs > limitMs) {
      log(`InnoDB still busy after ${(waitedMs / 1000).toFixed(0)} s (dirty ${(b.dirtyShare * 100).toFixed(1)} %, history ${b.history}); timing anyway`)
      return { waitedMs, settled: false }
    }
    await new Promise((resolve) => setTimeout(resolve, 5000))
  }
}
