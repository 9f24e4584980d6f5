/**
 * drydock's own checksum (the driver's Session.checksum, in parts as the verify stages run it) of every
 * table of one database over `jobs` sessions. Prints one JSON line: seconds, rows, per table.
 *   node --import tsx bench/lib/drydock-checksum.ts '{"url":"postgres://…","jobs":2}'
 */
import { parseEndpoint } from '../../pipeline/config/endpoint.ts'
import { driverFor } from '../../pipeline/drivers/registry.ts'
import { checksumAll } from '../../pipeline/transfer/checksum-all.ts'
import { DEFAULT_PART_MB, MAX_PARTS } from '../../pipeline/transfer/plan-parts.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { url: string; jobs: number }
const endpoint = parseEndpoint(args.url, 'url')
const driver = await driverFor(endpoint.engine)
await driver.probe(endpoint)
const sessions = await Promise.all(Array.from({ length: args.jobs }, () => driver.connect(endpoint)))
const tables = await sessions[0]!.inventory()
const started = process.hrtime.bigint()
// As the verify stages run it: tables bigger than a part (128 MiB) in parts side by side.
const sums = await checksumAll(tables, sessions, undefined, { partBytes: DEFAULT_PART_MB * 1024 * 1024, maxParts: MAX_PARTS })
const seconds = Number(process.hrtime.bigint() - started) / 1e9
// Each table alone (one session), for what bounds the stage.
const each: Record<string, number> = {}
for (const table of tables) {
  const t0 = process.hrtime.bigint()
  await sessions[0]!.checksum(table)
  each[`${table.schema}.${table.name}`] = Number(process.hrtime.bigint() - t0) / 1e9
}
await Promise.all(sessions.map((s) => s.close()))
process.stdout.write(`${JSON.stringify({
  seconds,
  rows: [...sums.values()].reduce((a, s) => a + s.rows, 0),
  tables: Object.fromEntries([...sums].map(([k, v]) => [k, v])),
  each,
  maxRssKb: process.resourceUsage().maxRSS,
})}\n`)
