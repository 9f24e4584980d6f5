import { COMMANDS } from './commands/commands.ts'
import { parseCommandLine } from './commands/command-line.ts'
import { exitCodeOf, printError } from './commands/print-error.ts'

export { CLI_OPTIONS, HELP } from './commands/cli-help.ts'
export { printError } from './commands/print-error.ts'

/** Runs the command line; returns the exit code. Results go to stdout, everything else to stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  const line = parseCommandLine(argv)
  if ('usage' in line) {
    process.stderr.write(`drydock: ${line.usage}\n`)
    return 2
  }
  try {
    return await COMMANDS[line.command](line)
  } catch (error) {
    printError(error)
    return exitCodeOf(error)
  }
}
