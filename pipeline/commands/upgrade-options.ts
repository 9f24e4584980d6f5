import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { ParsedConfig } from '../config/config.ts'
import { nextStepsText, summaryText } from '../report/report-write.ts'
import type { RunOptions } from '../run-state/context.ts'
import type { UpgradeResult } from '../runner/execute-run.ts'
import type { CommandLine } from './command-line.ts'

/** The run options the command line asks for (a new run, or the resume of one). */
export function upgradeOptions(line: CommandLine, config: ParsedConfig): RunOptions {
  const v = line.values
  return {
    yes: v.yes, keepStaging: v['keep-staging'], jobs: line.jobs ?? config.jobs ?? availableParallelism(), rehearse: v.rehearse,
    ...(v.prestage ? { prestage: true } : {}), ...(v.checkpoint ? { checkpoint: true } : {}),
    ...(v.from === 'migrate' ? { from: 'migrate' as const } : {}),
    ...(line.partBytes !== undefined ? { partBytes: line.partBytes } : {}), ...(v['no-direct'] ? { direct: false } : {}),
    ...(line.compress !== undefined ? { compress: line.compress } : {}),
    ...(v.verbose ? { verbosity: 'verbose' as const } : v.quiet ? { verbosity: 'quiet' as const } : {}),
  }
}

/** The run's summary and what to do next, on stdout. */
export function printUpgradeSummary(result: UpgradeResult): void {
  const reportPaths = { md: join(result.runDir, 'report.md'), html: join(result.runDir, 'report.html') }
  process.stdout.write(`${summaryText(result.report)}\n${nextStepsText(result.report, result.runDir, reportPaths)}\n`)
}
