/**
 * TEST ONLY: DRYDOCK_TEST_PAUSE_AT=<point> makes drydock print `drydock: test pause at <point>`
 * on stderr and stop itself (SIGSTOP) there, so a test can kill -9 it at exactly that moment.
 * Points: `swap-rename` (the swap's rename committed, not yet in the manifest),
 * `swap-transaction` (PostgreSQL schema swap: every statement run, the transaction not committed),
 * `staging-renamed-pre-data` (schema swap: staging's schemas carry the shadow names for pg_dump) and
 * `stage-<name>` (a stage just marked running). Unset, it does nothing.
 */
export function pauseForTest(point: string): void {
  if (process.env.DRYDOCK_TEST_PAUSE_AT !== point) return
  process.stderr.write(`drydock: test pause at ${point}\n`)
  process.kill(process.pid, 'SIGSTOP')
}
