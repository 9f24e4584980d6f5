import type { RunContext } from '../run-state/context.ts'
import { DrydockError } from '../errors.ts'
import { checkCopyFence } from '../stages/swap/shadow-fence.ts'
import { directCopies } from './replication-plan.ts'

/**
 * Right before the swap: every replica's copy is as hop 2 verified it (DD_SHADOW_CHANGED
 * otherwise, nothing swapped); DD_REPLICA_UNVERIFIED for a copy hop 2 did not verify.
 */
export async function checkReplicaFences(ctx: RunContext): Promise<void> {
  for (const { endpoint, record } of directCopies(ctx)) {
    if (!record.fence || !record.verified) {
      throw new DrydockError('DD_REPLICA_UNVERIFIED', `the copy on replica ${record.replica} was not verified by hop 2, so it cannot go live with the swap`, {
        stage: 'swap', resumable: false, hint: 'nothing was swapped and production is as it was; run the upgrade again from the start',
      })
    }
    const result = await checkCopyFence(ctx, endpoint, record.fence)
    ctx.log.write({ kind: 'info', stage: 'swap', message: `the copy on replica ${record.replica} is as hop 2 verified it: ${result.byMarks.length} table(s) by their marks, ${result.byChecksum.length} by checksum` })
  }
}
