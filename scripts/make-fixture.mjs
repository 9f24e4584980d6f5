#!/usr/bin/env zx
// Fills a database with the Patchwork 2.x reference data at a scale (fixtures/patchwork/generate.ts):
//   npx zx scripts/make-fixture.mjs --engine pg|mysql --scale N --url URL [--jobs N]
// Scale 1 ≈ 50k submissions, ≈ 1.05M rows, ≈ 1.7 GB as text; fractions (0.02) make test-sized data.
import { register } from 'tsx/esm/api'

register()
const engine = { pg: 'postgres', postgres: 'postgres', postgresql: 'postgres', mysql: 'mysql', mariadb: 'mysql' }[argv.engine ?? 'pg']
const scale = Number(argv.scale ?? 1)
if (!engine || !argv.url || !(scale > 0)) {
  process.stderr.write('usage: npx zx scripts/make-fixture.mjs --engine pg|mysql --scale N --url URL [--jobs N]\n')
  process.exit(2)
}
const { generatePatchwork } = await import('../fixtures/patchwork/generate.ts')
const { printError } = await import('../pipeline/cli.ts')
try {
  const result = await generatePatchwork({
    engine, url: argv.url, scale, ...(argv.jobs ? { jobs: Number(argv.jobs) } : {}),
    log: (message) => process.stderr.write(`make-fixture: ${message}\n`),
  })
  process.stdout.write(`generated scale ${scale} (${result.counts.S} submissions) in ${(result.ms / 1000).toFixed(1)} s\n`)
} catch (error) {
  printError(error)
  process.exitCode = 1
}
