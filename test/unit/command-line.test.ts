/** The command line as parseCommandLine reads it: which command runs, and the usage errors (exit 2) before any config or server. */
import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../../pipeline/commands/commands.ts'
import { parseCommandLine } from '../../pipeline/commands/command-line.ts'

const commandOf = (...argv: string[]) => {
  const line = parseCommandLine(argv)
  return 'usage' in line ? `usage: ${line.usage}` : line.command
}

describe('the command line', () => {
  it('picks one command per mode, a new run without one', () => {
    expect(commandOf()).toBe('run')
    expect(commandOf('--rehearse')).toBe('run')
    expect(commandOf('--prestage', '--rehearse')).toBe('run')
    expect(commandOf('--plan')).toBe('plan')
    expect(commandOf('--resume', 'runs/1', '--from', 'migrate')).toBe('resume')
    expect(commandOf('--rollback', '1')).toBe('rollback')
    expect(commandOf('--cleanup', '1')).toBe('cleanup')
    expect(commandOf('--status', '1')).toBe('status')
    expect(commandOf('--list')).toBe('list')
    expect(commandOf('--sample', '5', '--transform', 't.mjs')).toBe('sample')
    expect(commandOf('--verify', '--left', 'postgres://a/x', '--right', 'postgres://a/y')).toBe('verify')
    expect(commandOf('-h', '--plan', '--rollback', 'x')).toBe('help')
    expect(commandOf('-V')).toBe('version')
    // Every command has a handler.
    expect(Object.keys(COMMANDS).sort()).toEqual(['cleanup', 'help', 'list', 'plan', 'resume', 'rollback', 'run', 'sample', 'status', 'verify', 'version'])
  })

  it('reads the numeric flags once, for every command', () => {
    const line = parseCommandLine(['-j', '3', '--part-mb', '0.5', '--compress', 'gzip', '--idle-limit', '30', '--max-rate', '1MB/s'])
    expect(line).toMatchObject({ command: 'run', jobs: 3, partBytes: 524_288, compress: 'gzip', idleLimit: 30, throttle: { maxRate: 1_000_000 } })
  })

  it('refuses what cannot go together, naming both options', () => {
    expect(commandOf('--plan', '--rollback', 'x')).toBe('usage: options --rollback and --plan are not compatible')
    expect(commandOf('--prestage', '--plan')).toMatch(/^usage: options --prestage and --plan are not compatible/)
    expect(commandOf('--plan', '--sample', '5', '--transform', 't.mjs')).toMatch(/^usage: options --sample\/--transform and --plan are not compatible/)
    expect(commandOf('--from', 'migrate')).toMatch(/^usage: Invalid option --from: only "--from migrate" with --resume RUN_DIR/)
    expect(commandOf('--resume', 'r', '-t', 'x')).toMatch(/^usage: -t\/--table and -T\/--exclude-table choose the tables of a new run/)
    expect(commandOf('-v', '-q')).toBe('usage: options --verbose and --quiet are not compatible')
    expect(commandOf('--left', 'postgres://a/x')).toMatch(/^usage: option --left needs --verify/)
    expect(commandOf('-j', '0')).toBe('usage: Invalid option --jobs: expected a whole number from 1 to 64, got "0"')
    expect(commandOf('--compress', 'zstd')).toMatch(/^usage: Invalid option --compress: expected none or gzip, got "zstd"/)
    expect(commandOf('--no-such-flag')).toMatch(/^usage: Unknown option '--no-such-flag'/)
  })
})
