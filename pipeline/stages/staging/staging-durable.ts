import type { DurableScope } from '../../drivers/driver.ts'
import type { RunContext } from '../../run-state/context.ts'

/**
 * For an ephemeral staging server (lazy log flushing): makes its commits so far crash-safe,
 * so that the manifest never records staging work a crash of that server could take back.
 */
export function stagingDurable(ctx: RunContext, scope: DurableScope = 'commits'): (() => Promise<void>) | undefined {
  const { driver } = ctx
  if (ctx.config.staging !== 'ephemeral' || !driver.makeDurable) return undefined
  return () => (ctx.staging ? driver.makeDurable(ctx.staging, scope) : Promise.resolve())
}
