import { HELP } from './cli-help.ts'
import type { CommandLine, CommandName } from './command-line.ts'
import { cleanupCli } from './cleanup-command.ts'
import { listCli } from './list-command.ts'
import { planCli } from './plan-command.ts'
import { resumeCli } from './resume-command.ts'
import { rollbackCli } from './rollback-command.ts'
import { runCli } from './run-command.ts'
import { sampleCli } from './sample-command.ts'
import { statusCli } from './status-command.ts'
import { verifyCli } from './verify-command.ts'
import { versionText } from '../util/version.ts'

/** Each command's CLI handler: it prints its result to stdout and returns the exit code. */
export const COMMANDS: Readonly<Record<CommandName, (line: CommandLine) => Promise<number>>> = {
  help: async () => print(HELP),
  version: async () => print(versionText()),
  verify: verifyCli,
  status: statusCli,
  list: listCli,
  rollback: rollbackCli,
  cleanup: cleanupCli,
  sample: sampleCli,
  plan: planCli,
  resume: resumeCli,
  run: runCli,
}

function print(text: string): number {
  process.stdout.write(`${text}\n`)
  return 0
}
