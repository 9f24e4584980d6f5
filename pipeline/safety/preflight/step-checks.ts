import { accessSync, constants, existsSync, statSync } from 'node:fs'
import { delimiter, resolve } from 'node:path'
import type { ParsedStep } from '../../config/config.ts'
import { DrydockError } from '../../errors.ts'
import { expandSqlFiles } from '../../migration/sql-files.ts'
import { loadTransform } from '../../migration/transform/load-transform.ts'
import { commandPrograms, findProgram } from './command-programs.ts'
import type { PreflightCheck } from '../../drivers/driver.ts'
import type { ErrorCode } from '../../error-codes.ts'

/**
 * Every migration step's inputs, checked before the snapshot (issue 11): the SQL files exist and
 * are readable, a command's folder exists and its programs resolve, a transform loads and has
 * the shape of one. A step that would fail only after the dump fails here instead.
 */
export async function stepChecks(steps: readonly ParsedStep[]): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = []
  for (const step of steps) {
    const id = `migrate.step-${step.index}`
    const title = `migration step ${step.index} (${step.name}) can run`
    try {
      checks.push({ id, title, status: 'ok', detail: await checkStep(step) })
    } catch (error) {
      const e = error instanceof DrydockError ? error : new DrydockError('DD_PREFLIGHT_STEP', (error as Error).message)
      checks.push({ id, title, status: 'fail', detail: e.message, code: e.code, ...(e.ctx.hint ? { hint: e.ctx.hint } : {}) })
    }
  }
  return checks
}

/** What was found, or a DD_PREFLIGHT_STEP_* error naming the step and the fix. */
async function checkStep(step: ParsedStep): Promise<string> {
  const problem = (code: ErrorCode, message: string, hint: string) =>
    new DrydockError(code, `step ${step.index} (${step.name}): ${message}`, { stage: 'preflight', hint })
  if (step.kind === 'sql') {
    let files: string[]
    try {
      files = expandSqlFiles(step.spec, step.name)
    } catch {
      throw problem('DD_PREFLIGHT_STEP_FILES', `no SQL file matches ${step.spec}`, `fix migrate[${step.index - 1}].sql in the config (relative to the config file), or add the file`)
    }
    const unreadable = files.filter((f) => !readable(f))
    if (unreadable.length > 0) {
      throw problem('DD_PREFLIGHT_STEP_FILES', `cannot read ${unreadable.join(', ')}`, `make the file(s) readable by ${process.env.USER ?? 'the user running drydock'}`)
    }
    return `${files.length} SQL file(s): ${files.map((f) => f.slice(f.lastIndexOf('/') + 1)).join(', ')}`
  }
  if (step.kind === 'transform') {
    try {
      const transform = await loadTransform(step.spec)
      return `transform ${transform.name} loads (${transform.file})`
    } catch (error) {
      const e = error as DrydockError
      throw problem('DD_PREFLIGHT_STEP_TRANSFORM', e.message, e.ctx?.hint ?? 'fix the transform file')
    }
  }
  if (!existsSync(step.cwd) || !statSync(step.cwd).isDirectory()) {
    throw problem('DD_PREFLIGHT_STEP_CWD', `its working directory ${step.cwd} does not exist`, `create it, or fix migrate[${step.index - 1}].cwd in the config (relative to the config file)`)
  }
  const pathVar = step.env.PATH ?? process.env.PATH
  const found: string[] = []
  for (const program of commandPrograms(step.spec)) {
    const at = findProgram(program, step.cwd, pathVar)
    if (!at) {
      const where = program.how === 'path'
        ? `on PATH (${(pathVar ?? '').split(delimiter).filter(Boolean).length} folders searched)`
        : `in ${resolve(step.cwd, program.dir)} (or it is not executable)`
      throw problem('DD_PREFLIGHT_STEP_COMMAND', `program "${program.word}" not found ${where}`,
        program.how === 'path' ? `install ${program.word}, or put its folder on PATH (or give its full path in the command)` : `fix the path in migrate[${step.index - 1}].command, or chmod +x the file`)
    }
    found.push(`${program.word} → ${at}`)
  }
  return found.length > 0 ? `in ${step.cwd}: ${found.join(', ')}` : `in ${step.cwd} (shell builtins only, or not analysable: not checked)`
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK)
    return true
  } catch {
    return false
  }
}
