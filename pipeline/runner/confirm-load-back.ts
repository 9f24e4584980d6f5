import { createInterface } from 'node:readline/promises'
import type { RunContext } from '../run-state/context.ts'
import { describeEndpoint, withDatabase } from '../config/endpoint.ts'
import { DrydockError } from '../errors.ts'
import { confirmSummary } from '../report/confirm-summary.ts'

/** Before production is first written: the operator confirms at a terminal, unless --yes or a rehearsal. */
export async function confirmLoadBack(ctx: RunContext): Promise<void> {
  if (ctx.options.yes || ctx.options.rehearse) return
  const { config, manifest } = ctx
  const where = config.target === 'in-place'
    ? ctx.driver.schemaSwap
      ? `into a shadow copy on ${describeEndpoint(config.source)} (shadow schemas inside the live database where the migration allows, else a shadow database) and then swap it with the live data`
      : `into shadow database "${manifest.data.target.shadow}" on ${describeEndpoint(withDatabase(config.source, manifest.data.target.shadow!))} and then swap it with the live database "${config.source.database}"`
    : `into ${describeEndpoint(config.target)}`
  if (!process.stdin.isTTY) {
    throw new DrydockError('DD_CONFIRMATION_NEEDED', `about to load the migrated data ${where}, but there is no terminal to confirm it`, {
      stage: 'loadback', hint: `production is untouched; to confirm without a terminal, continue with: ${continueCommand(ctx)} --yes`,
    })
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  // In raw mode Ctrl-C reaches readline, not the process: stop the run the way a signal does.
  prompt.on('SIGINT', () => process.kill(process.pid, 'SIGINT'))
  let answer: string
  try {
    process.stderr.write(`\n${confirmSummary(manifest.data, where)}\n`)
    answer = await prompt.question('Write production now? [y/N] ', { signal: ctx.signal })
  } catch (error) {
    throw ctx.signal.aborted ? ctx.signal.reason : error
  } finally {
    prompt.close()
  }
  if (!/^y(es)?$/i.test(answer.trim())) {
    throw new DrydockError('DD_ABORTED', 'stopped before writing production, as asked', {
      stage: 'loadback', hint: `production is untouched; when ready, continue with: ${continueCommand(ctx)}`,
    })
  }
}

function continueCommand(ctx: RunContext): string {
  return `npx zx scripts/offline-upgrade.mjs --resume ${ctx.paths.root}`
}
