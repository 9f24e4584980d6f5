/**
 * The write fence on the production copy (shadow or separate target): hop 2 proves the copy
 * equal to migrated staging, but the beforeSwap hook (and anything else) runs after it. The
 * copy's marks are read before hop 2's checksums (a write in between is reported, never
 * missed) and checked right before the swap, so the copy that goes live is the one verified.
 */
import type { RunContext, TargetContext } from '../../run-state/context.ts'
import type { TableChecksum } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'
import { checkFence, type FenceCheckResult, takeFence } from '../../safety/fence/fence.ts'
import type { Fence } from '../../run-state/check-records.ts'
import type { Endpoint } from '../../config/endpoint.ts'
import { tableKey } from '../../run-state/run-dir.ts'

function copiedTables(ctx: RunContext) {
  return Object.values(ctx.manifest.data.migrated).filter((r) => !r.kept)
}

function fenceOptions(ctx: RunContext) {
  return ctx.config.schemas ? { schemas: ctx.config.schemas } : {}
}

/** Before hop 2's checksums: the copy's marks, kept in the manifest. */
export async function takeShadowFence(ctx: TargetContext): Promise<void> {
  const tables = copiedTables(ctx).map((r) => ({ schema: r.schema, name: r.name }))
  const fence = await takeFence(ctx.driver, ctx.loadTarget, tables, fenceOptions(ctx))
  await ctx.manifest.update((m) => { m.shadowFence = fence })
}

/**
 * Right before the swap: the copy is as hop 2 verified it, by its marks or else by a checksum
 * equal to hop 2's. Throws DD_SHADOW_CHANGED naming the tables otherwise. Reads only.
 */
export async function checkShadowFence(ctx: TargetContext): Promise<FenceCheckResult | undefined> {
  const fence = ctx.manifest.data.shadowFence
  return fence ? checkCopyFence(ctx, ctx.loadTarget, fence) : undefined
}

/** checkShadowFence for one copy (the production copy, or a replica's: pipeline/replication). */
export async function checkCopyFence(ctx: RunContext, endpoint: Endpoint, fence: Fence): Promise<FenceCheckResult> {
  const expected: Record<string, TableChecksum | undefined> = Object.fromEntries(copiedTables(ctx).map((r) => [tableKey(r), r.shadow]))
  try {
    return await checkFence(ctx.driver, endpoint, fence, { expected })
  } catch (error) {
    if (!(error instanceof DrydockError) || !error.code.startsWith('DD_WRITE_FENCE')) throw error
    const proof = error.code === 'DD_WRITE_FENCE' ? 'was written after hop 2 verified it' : 'cannot be proven unchanged since hop 2 verified it'
    throw new DrydockError('DD_SHADOW_CHANGED', `the production copy ${fence.endpoint} ${proof}: ${error.message.split('after the snapshot: ')[1] ?? error.message}`, {
      stage: 'swap',
      ...(error.ctx.table ? { table: error.ctx.table } : {}),
      resumable: false,
      hint: 'a beforeSwap hook (or another client) changed the verified copy, so it is not what was verified. Nothing was swapped and production is as it was; make the hook leave the copy alone, then run the upgrade again from the start',
    }, { cause: error })
  }
}
