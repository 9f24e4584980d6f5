import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseConfig } from '../config/config.ts'
import type { EphemeralServer } from '../drivers/driver.ts'
import { driverFor } from '../drivers/registry.ts'
import { endpointUrl, type EngineName, withDatabase } from '../config/endpoint.ts'
import { DrydockError } from '../errors.ts'
import { summaryText } from '../report/report-write.ts'
import { runUpgrade } from './run-command.ts'
import { formatBytes } from '../util/files.ts'
import { engineFacts } from '../drivers/engines.ts'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * The whole offline upgrade on an embedded default: a throwaway "production" server seeded
 * with a Patchwork-like database, the example 2.x → 3.0 upgrade, a verified swap, the report.
 */
export async function runDemo(engine: EngineName = 'postgres'): Promise<number> {
  const driver = await driverFor(engine)
  const work = await mkdtemp(join(tmpdir(), 'drydock-demo-'))
  const fixtures = join(repo, 'fixtures', 'patchwork', engine)
  let production: EphemeralServer | undefined
  const stop = async () => {
    await production?.stop().catch(() => {})
    production = undefined
    await rm(work, { recursive: true, force: true })
  }
  const onSignal = () => { void stop().finally(() => process.exit(130)) }
  process.once('SIGINT', onSignal)
  try {
    say(`starting a throwaway "production" ${engine} server in ${work}`)
    production = await driver.startEphemeral(join(work, 'production'), {
      major: await driver.newestServerMajor?.() ?? 0, logFile: join(work, 'production.log'), superuser: engineFacts(engine).demoSuperuser,
    })
    await driver.createDatabase(production.endpoint, 'patchwork')
    const source = withDatabase(production.endpoint, 'patchwork')
    say('seeding it with a Patchwork-like database (fixtures/patchwork)')
    for (const file of ['schema.sql', 'seed.sql']) await driver.runSqlFile(source, join(fixtures, file), join(work, 'seed.log'))
    const config = parseConfig({
      source: endpointUrl(source),
      staging: 'ephemeral',
      runDir: join(repo, 'drydock-runs'),
      migrate: [{ name: 'Patchwork 2.x → 3.0 example upgrade', sql: join(fixtures, 'upgrade', '*.sql') }],
    }, join(repo, 'demo.config.mjs'))
    const result = await runUpgrade(config, { yes: true, keepStaging: false, jobs: availableParallelism() })
    const moved = result.report.hop1.tables.reduce((sum, t) => sum + t.bytes, 0)
    await rm(join(result.runDir, 'dump'), { recursive: true, force: true })
    await rm(join(result.runDir, 'migrated'), { recursive: true, force: true })
    process.stdout.write(`\n${summaryText(result.report)}\n`)
    process.stdout.write(`moved ${formatBytes(moved)} of production data (dump files removed after the demo)\n`)
    process.stdout.write(`report: ${join(result.runDir, 'report.html')} (also report.md and report.json)\n`)
    return 0
  } catch (error) {
    if (error instanceof DrydockError) throw error
    throw new DrydockError('DD_DEMO_FAILED', `demo failed: ${(error as Error).message}`, {}, { cause: error })
  } finally {
    process.off('SIGINT', onSignal)
    await stop()
  }
}

function say(message: string): void {
  process.stderr.write(`demo: ${message}\n`)
}
