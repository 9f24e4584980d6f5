import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'

export interface ExecOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Appends stdout and stderr here (the run directory's step log). */
  logFile?: string
  /** Writes stdout here instead of the log (pg_dump output). */
  stdoutFile?: string
  uid?: number
  gid?: number
  shell?: boolean
}

export interface ExecResult {
  code: number | null
  signal: NodeJS.Signals | null
  /** The last lines of stderr and stdout, for error messages. */
  tail: string
}

const TAIL_BYTES = 4000

/** Runs a program to completion, streaming its output to files; never throws on exit codes. */
export async function execProgram(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
    shell: options.shell ?? false,
  })
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a', mode: 0o600 }) : undefined
  const out = options.stdoutFile ? createWriteStream(options.stdoutFile, { mode: 0o600 }) : log
  let tail = ''
  const keep = (chunk: Buffer) => { tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES) }
  child.stdout.on('data', (chunk: Buffer) => { if (!options.stdoutFile) keep(chunk); out?.write(chunk) })
  child.stderr.on('data', (chunk: Buffer) => { keep(chunk); log?.write(chunk) })
  const spawnError = once(child, 'error').then(([error]) => { throw error })
  const [code, signal] = (await Promise.race([once(child, 'close'), spawnError])) as [number | null, NodeJS.Signals | null]
  await Promise.all([log, out].filter((s, i, all) => s && all.indexOf(s) === i).map((s) => new Promise((r) => s!.end(r))))
  return { code, signal, tail: tail.trim() }
}

/** The last `lines` lines of a text. */
export function lastLines(text: string, lines = 15): string {
  return text.split('\n').slice(-lines).join('\n')
}
