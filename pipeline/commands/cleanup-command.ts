import { describeEndpoint } from '../config/endpoint.ts'
import { driverFor } from '../drivers/registry.ts'
import { DrydockError } from '../errors.ts'
import { writeReport } from '../report/report-write.ts'
import { abandonRun } from '../run-state/abandon-run.ts'
import { leftOnDisk } from '../run-state/left-on-disk.ts'
import { configNoteLine, openRun } from '../run-state/run-of.ts'
import { settleInterruptedSwap } from '../stages/swap/settle-swap.ts'
import { cleanupRun } from '../stages/swap/swap-stage.ts'
import type { CommandLine } from './command-line.ts'

/** `--cleanup RUN`: drops the run's backup after a swap, or discards a stopped run's staging and copies. */
export async function cleanupCommand(given: string, configPath: string | undefined): Promise<string> {
  const run = await openRun(given, configPath)
  const driver = await driverFor(run.source.engine)
  // Killed during the swap: the server tells whether it happened before choosing what to drop.
  await settleInterruptedSwap(driver, run.source, run.manifest)
  const m = run.manifest.data
  let done: string
  if (!m.swap && m.verdict !== 'verified') {
    if (!run.config) {
      throw new DrydockError('DD_CONFIG_MISSING', `run ${m.runId} stopped before its swap; discarding its staging and copies needs the config it ran with, and ${run.configNote}`, {
        stage: 'cleanup', hint: `pass --config FILE naming ${describeEndpoint(run.source)} (the run's staging and target are read from it)`,
      })
    }
    const removed = await abandonRun(driver, run.config, run.paths, run.manifest)
    done = `abandoned run ${m.runId}: ${removed.length ? `removed ${removed.join(', ')}` : 'nothing was left to remove'}; production was not touched`
  } else {
    const rolledBack = m.swap?.status === 'rolled-back'
    const schemas = Boolean(m.swap?.schemas)
    const dropped = await cleanupRun(driver, run.source, run.manifest)
    done = `cleaned up: dropped ${rolledBack ? 'the rejected upgrade' : 'the pre-upgrade backup'} ${schemas ? `schema(s) ${dropped} in` : `"${dropped}" on`} ${describeEndpoint(run.source, schemas ? run.source.database : dropped)}`
  }
  await writeReport(run.paths, run.manifest)
  const left = leftOnDisk(run.paths)
  return `${done}${left ? `\n${left}` : ''}${configNoteLine(run)}`
}

export async function cleanupCli(line: CommandLine): Promise<number> {
  process.stdout.write(`${await cleanupCommand(line.values.cleanup!, line.values.config)}\n`)
  return 0
}
