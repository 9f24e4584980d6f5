import { existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { ParsedStep } from '../../config/config.ts'
import type { RunContext, StageContext, StagingContext } from '../../run-state/context.ts'
import type { StepRecord } from '../../run-state/run-dir.ts'
import { type Endpoint, endpointUrl } from '../../config/endpoint.ts'
import { DrydockError, inStage } from '../../errors.ts'
import { execProgram, lastLines } from '../../util/exec.ts'
import { redactSecrets } from '../../util/redact.ts'
import { expandSqlFiles } from '../../migration/sql-files.ts'
import { captureDefinitions, checkExpectations } from '../../safety/expectations/check-expectations.ts'
import { runTransformStep } from '../../migration/transform/transform-step.ts'
import { stagingDurable } from '../staging/staging-durable.ts'
import type { TransformRecord } from '../../run-state/stage-records.ts'

/** Stage 7: the configured steps in order, on staging only. */
export async function migrateStage(ctx: StageContext<'migrate'>): Promise<void> {
  await captureDefinitions(ctx)
  for (const step of ctx.config.steps) {
    ctx.signal.throwIfAborted()
    if (ctx.manifest.data.steps.some((s) => s.index === step.index && s.name === step.name && s.status === 'done')) {
      ctx.log.write({ kind: 'info', stage: 'migrate', message: `skipping step ${step.index} (${step.name}): done on a previous attempt` })
      continue
    }
    const started = Date.now()
    const log = join(ctx.paths.stepsDir, `${String(step.index).padStart(2, '0')}-${step.kind}.log`)
    if (ctx.progress) {
      ctx.progress.totalTables = ctx.config.steps.length
      ctx.progress.unit = 'steps'
    }
    const tick = ctx.progress?.start(`step ${step.index}: ${step.name}`)
    let transform: TransformRecord | undefined
    let sqlFiles: StepRecord['files']
    if (ctx.progress) ctx.progress.phase = `step ${step.index}: ${step.name}`
    await recordStep(ctx, { index: step.index, name: step.name, kind: step.kind, status: 'running', ms: 0, log })
    try {
      if (step.kind === 'sql') {
        const files = expandSqlFiles(step.spec, step.name)
        const applied: NonNullable<StepRecord['files']> = []
        for (const [i, file] of files.entries()) {
          if (ctx.progress) ctx.progress.phase = `step ${step.index}: ${basename(file)} (file ${i + 1}/${files.length})`
          const sha256 = createHash('sha256').update(await readFile(file)).digest('hex')
          await appendFile(log, `==> ${file} (sha256 ${sha256}), started ${new Date().toISOString()}\n`)
          const fileStarted = Date.now()
          applied.push({ file, sha256 })
          await recordStep(ctx, { index: step.index, name: step.name, kind: step.kind, status: 'running', ms: Date.now() - started, log, files: applied })
          await ctx.driver.runSqlFile(ctx.staging, file, log)
          applied[applied.length - 1]!.ms = Date.now() - fileStarted
          await appendFile(log, `<== ${basename(file)} done in ${((Date.now() - fileStarted) / 1000).toFixed(1)} s\n`)
        }
        sqlFiles = applied
      } else if (step.kind === 'transform') {
        transform = await runTransformStep(ctx, step, log)
      } else {
        await runCommand(ctx, step, log)
      }
    } catch (error) {
      const files = ctx.manifest.data.steps.find((s) => s.index === step.index)?.files
      await recordStep(ctx, { index: step.index, name: step.name, kind: step.kind, status: 'failed', ms: Date.now() - started, log, ...(files ? { files } : {}) })
      const e = inStage('migrate', error)
      Object.assign(e.ctx, { stage: 'migrate', hint: `${e.ctx.hint ? `${e.ctx.hint}; ` : ''}${failedStepHint(step.index)}` })
      throw e
    }
    tick?.done()
    if (ctx.progress) ctx.progress.phase = undefined
    await stagingDurable(ctx, 'everything')?.()
    await recordStep(ctx, { index: step.index, name: step.name, kind: step.kind, status: 'done', ms: Date.now() - started, log, ...(transform ? { transform } : {}), ...(sqlFiles ? { files: sqlFiles } : {}) })
    ctx.log.write({ kind: 'info', stage: 'migrate', message: `step ${step.index} (${step.name}) done in ${Date.now() - started} ms` })
  }
  await checkExpectations(ctx)
}

/**
 * What to do after a failed step. Its earlier statements may have stayed applied (MySQL DDL
 * is not transactional; a command commits as it goes), so the safe rerun starts from staging
 * as hop 1 left it (issue 11).
 */
export function failedStepHint(index: number): string {
  return `production is untouched; fix step ${index}, then rerun the migration on staging as it was before it: --resume --from migrate `
    + `(a plain --resume runs step ${index} again on a staging it may have half-migrated)`
}

/** One record a step: a retried step replaces its failed attempt. */
async function recordStep(ctx: RunContext, record: StepRecord): Promise<void> {
  await ctx.manifest.update((m) => {
    m.steps = [...m.steps.filter((s) => s.index !== record.index), record].sort((a, b) => a.index - b.index)
  })
}

/** Fills `{host}`, `{port}`, … in a step's extra variables from the staging connection. */
export function stepEnv(step: ParsedStep, staging: Endpoint): Record<string, string> {
  const parts: Record<string, string> = {
    host: staging.host, port: String(staging.port), user: staging.user,
    password: staging.password ?? '', database: staging.database, url: endpointUrl(staging),
  }
  return Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, v.replace(/\{(host|port|user|password|database|url)\}/g, (_, p: string) => parts[p]!)]))
}

async function runCommand(ctx: StagingContext, step: ParsedStep, log: string): Promise<void> {
  const staging = ctx.staging
  const env = { ...ctx.driver.migrationEnv(staging), ...stepEnv(step, staging) }
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PG|MYSQL_)|^DATABASE_URL$/.test(k)))
  const result = await execProgram('/bin/sh', ['-c', step.spec], { env: { ...base, ...env }, cwd: step.cwd, logFile: log })
  const secrets = [staging.password, ctx.config.source.password].filter((s): s is string => !!s)
  // A tool may echo its connection settings; what it printed is kept, its secrets are not.
  if (secrets.length > 0 && existsSync(log)) await writeFile(log, redactSecrets(await readFile(log, 'utf8'), secrets), { mode: 0o600 })
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`
    throw new DrydockError('DD_MIGRATION_FAILED', `step ${step.index} (${step.name}) ${how}:\n${redactSecrets(lastLines(result.tail), secrets)}`, {
      hint: `full output in ${log}`,
    })
  }
}
