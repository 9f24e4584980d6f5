// Small process helpers for the bench: run a shell pipeline, time it, capture peak RSS.
import { spawn } from 'node:child_process'

/**
 * Runs `bash -o pipefail -c script` and resolves with its wall time, exit code, output tails and
 * the peak RSS (kB) of the largest process in it (GNU time's "Maximum resident set size").
 */
export function runTimed(script, { env = {}, cwd, quiet = true, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn('/usr/bin/time', ['-f', '%M', 'bash', '-o', 'pipefail', '-c', script], {
      cwd, env: { ...process.env, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => { out = (out + d).slice(-200_000); if (!quiet) process.stderr.write(d) })
    child.stderr.on('data', (d) => { err = (err + d).slice(-20_000); if (!quiet) process.stderr.write(d) })
    if (input !== undefined) child.stdin.end(input)
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const lines = err.trimEnd().split('\n')
      const rssKb = Number(lines.at(-1))
      const stderr = Number.isFinite(rssKb) ? lines.slice(0, -1).join('\n') : err
      resolve({ code, seconds, stdout: out, stderr, rssKb: Number.isFinite(rssKb) ? rssKb : null })
    })
  })
}

/** Like runTimed, but throws with the output tail when the command fails. */
export async function must(script, options) {
  const r = await runTimed(script, options)
  if (r.code !== 0) throw new Error(`command failed (${r.code}): ${script.slice(0, 300)}\n${(r.stderr || r.stdout).slice(-3000)}`)
  return r
}

/** Single-quotes a word for bash. */
export function q(word) {
  return `'${String(word).replace(/'/g, `'\\''`)}'`
}
