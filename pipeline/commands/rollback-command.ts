import { describeEndpoint } from '../config/endpoint.ts'
import { driverFor } from '../drivers/registry.ts'
import { writeReport } from '../report/report-write.ts'
import { configNoteLine, openRun } from '../run-state/run-of.ts'
import { rollbackRun } from '../stages/swap/swap-stage.ts'
import type { CommandLine } from './command-line.ts'

/**
 * `--rollback RUN`: the run's own backup becomes live again. The database comes from the run's
 * manifest, never from a config that happens to be in the working folder.
 */
export async function rollbackCommand(given: string, configPath: string | undefined): Promise<string> {
  const run = await openRun(given, configPath)
  const driver = await driverFor(run.source.engine)
  const rejected = await rollbackRun(driver, run.source, run.manifest)
  await writeReport(run.paths, run.manifest)
  return `rolled back: "${run.source.database}" on ${describeEndpoint(run.source)} is the pre-upgrade database again; the upgraded one is kept as "${rejected}"${configNoteLine(run)}`
}

export async function rollbackCli(line: CommandLine): Promise<number> {
  process.stdout.write(`${await rollbackCommand(line.values.rollback!, line.values.config)}\n`)
  return 0
}
