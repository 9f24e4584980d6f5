import { availableParallelism } from 'node:os'
import { planUpgrade } from '../plan/plan.ts'
import { planText } from '../plan/plan-text.ts'
import type { CommandLine } from './command-line.ts'
import { commandConfig } from './command-config.ts'

/** `--plan`: what a run would do, its disk and its time (writes nothing). */
export async function planCli(line: CommandLine): Promise<number> {
  const config = await commandConfig(line)
  const plan = await planUpgrade(config, line.jobs ?? config.jobs ?? availableParallelism())
  process.stdout.write(`${planText(plan)}\n`)
  // A plan whose checks fail describes a run that would stop: say so to scripts too.
  return plan.checksStatus === 'fail' ? 1 : 0
}
