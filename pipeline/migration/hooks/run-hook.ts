import { join } from 'node:path'
import type { RunContext } from '../../run-state/context.ts'
import { describeEndpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import type { HookPoint } from './hook-points.ts'

/**
 * Runs the config's hook for `point` (if any) with `sh -c`, in the config's folder, output in
 * `hooks/<point>.log`. It sees the run, never a password: DRYDOCK_RUN_ID, DRYDOCK_RUN_DIR,
 * DRYDOCK_HOOK, DRYDOCK_SOURCE (URL without password) and, on failure, DRYDOCK_ERROR.
 */
export async function runHook(ctx: RunContext, point: HookPoint, extra: Record<string, string> = {}): Promise<void> {
  const command = ctx.config.hooks[point]
  if (!command) return
  if (ctx.options.rehearse) {
    // Hooks stop and start the production app: a rehearsal must not.
    ctx.log.write({ kind: 'info', stage: 'hooks', message: `rehearsal: hook ${point} not run` })
    return
  }
  const log = join(ctx.paths.hooksDir, `${point}.log`)
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PG|MYSQL_)|^DATABASE_URL$/.test(k))),
    DRYDOCK_RUN_ID: ctx.manifest.data.runId,
    DRYDOCK_RUN_DIR: ctx.paths.root,
    DRYDOCK_HOOK: point,
    DRYDOCK_SOURCE: describeEndpoint(ctx.config.source),
    ...extra,
  }
  const started = Date.now()
  const result = await execProgram('/bin/sh', ['-c', command], { env, cwd: ctx.config.baseDir, logFile: log })
  ctx.log.write({ kind: 'info', stage: 'hooks', message: `hook ${point} exited ${result.code} after ${Date.now() - started} ms` })
  if (result.code !== 0) {
    throw new DrydockError('DD_HOOK_FAILED', `hook ${point} (${command}) exited with code ${result.code ?? result.signal}:\n${lastLines(result.tail)}`, {
      stage: 'hooks', hint: `${HOOK_ADVICE[point]}; output in ${log}`,
    })
  }
}

const HOOK_ADVICE: Record<HookPoint, string> = {
  beforeSnapshot: 'nothing was read or written yet; fix the hook and run again',
  afterMigrate: 'production is untouched; fix the hook and run again',
  beforeSwap: 'the live database was not swapped; fix the hook and run again',
  afterSwap: 'the upgrade is swapped in and verified; finish the hook\'s work by hand, or --rollback',
  onFailure: 'the run had already failed',
}
