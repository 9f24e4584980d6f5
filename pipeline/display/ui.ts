import { Listr, ListrLogger, PRESET_TIMESTAMP, ProcessOutput, type ListrTask } from 'listr2'
import type { RunContext } from '../run-state/context.ts'
import { type StageName, inStage } from '../errors.ts'
import { StageProgress } from './progress.ts'
import { stagingDurable } from '../stages/staging/staging-durable.ts'
import { formatSeconds } from '../util/files.ts'
import { pauseForTest } from '../util/test-pause.ts'

export interface StageSpec {
  name: StageName
  title: string
  run: (ctx: RunContext) => Promise<void>
  /** On resume, for a stage an earlier attempt finished: restore what later stages need. */
  resume?: (ctx: RunContext) => Promise<void>
}

const interactive = () => Boolean(process.stderr.isTTY) && !process.env.CI

/**
 * Runs stages in order under listr2: spinners and live per-table progress on a terminal,
 * plain timestamped lines otherwise (cron, CI, `| tee`). Everything goes to stderr so
 * stdout carries only the summary.
 */
export async function runStages(ctx: RunContext, stages: readonly StageSpec[]): Promise<void> {
  const tty = interactive()
  const tasks: ListrTask[] = stages.map((spec) => ({
    title: spec.title,
    rendererOptions: { outputBar: 1, persistentOutput: false },
    task: async (_c, task) => {
      ctx.signal.throwIfAborted()
      if (ctx.manifest.data.stages[spec.name]?.status === 'done') {
        try {
          await spec.resume?.(ctx)
        } catch (error) {
          throw inStage(spec.name, error)
        }
        ctx.log.write({ kind: 'stage-skip', stage: spec.name, reason: 'already done on a previous attempt' })
        task.skip(`${spec.title} — already done on a previous attempt`)
        return
      }
      const progress = new StageProgress()
      const timings = ctx.lastTimings ?? []
      const at = timings.findIndex((t) => t.stage === spec.name)
      progress.estimateMs = timings[at]?.ms
      progress.laterMs = at < 0 ? undefined : timings.slice(at + 1).reduce((sum, t) => sum + t.ms, 0)
      ctx.progress = progress
      const started = Date.now()
      const timer = setInterval(() => {
        if (progress.hasNews()) task.output = progress.render()
      }, tty ? 250 : 15_000)
      await ctx.manifest.update((m) => { m.stages[spec.name] = { status: 'running', startedAt: new Date(started).toISOString() } })
      ctx.log.write({ kind: 'stage-start', stage: spec.name })
      pauseForTest(`stage-${spec.name}`)
      try {
        await spec.run(ctx)
        // What the stage wrote to an ephemeral staging server must survive that server's crash before it counts as done.
        await stagingDurable(ctx, 'everything')?.()
        await ctx.options.afterStage?.(spec.name, ctx)
      } catch (error) {
        const e = inStage(spec.name, error)
        await ctx.manifest.update((m) => {
          m.stages[spec.name] = { ...m.stages[spec.name]!, status: 'failed', finishedAt: new Date().toISOString(), ms: Date.now() - started, error: e.message }
        })
        ctx.log.write({ kind: 'stage-failed', stage: spec.name, code: e.code, message: e.message })
        throw e
      } finally {
        clearInterval(timer)
        ctx.progress = undefined
      }
      const ms = Date.now() - started
      await ctx.manifest.update((m) => {
        m.stages[spec.name] = { ...m.stages[spec.name]!, status: 'done', finishedAt: new Date().toISOString(), ms }
      })
      ctx.log.write({ kind: 'stage-done', stage: spec.name, ms })
      task.title = `${spec.title} (${formatSeconds(ms)}${progress.shownRows() ? `, ${progress.shownRows().toLocaleString('en')} rows` : ''})`
    },
  }))
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) })
  const list = ctx.options.verbosity === 'quiet'
    ? new Listr(tasks, { concurrent: false, exitOnError: true, registerSignalListeners: false, renderer: 'silent' })
    : tty
    ? new Listr(tasks, {
      concurrent: false, exitOnError: true, registerSignalListeners: false, renderer: 'default',
      rendererOptions: { logger, collapseErrors: true, showErrorMessage: false },
    })
    : new Listr(tasks, {
      concurrent: false, exitOnError: true, registerSignalListeners: false, renderer: 'simple',
      rendererOptions: { logger, timestamp: PRESET_TIMESTAMP },
    })
  await list.run()
}
