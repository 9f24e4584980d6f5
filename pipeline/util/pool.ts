/**
 * Runs `work` over `items`, one item at a time per slot (a worker connection). Every slot
 * stops taking items after the first failure, and that failure is rethrown once all slots
 * have settled, so no worker is still writing while the run unwinds.
 */
export async function forEachWithSlot<T, S>(
  items: readonly T[],
  slots: readonly S[],
  work: (item: T, slot: S) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const queue = [...items]
  let failure: { error: unknown } | undefined
  const runSlot = async (slot: S) => {
    for (let item = queue.shift(); item !== undefined && !failure && !signal?.aborted; item = queue.shift()) {
      try {
        await work(item, slot)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(slots.slice(0, Math.max(1, items.length)).map(runSlot))
  if (failure) throw failure.error
  signal?.throwIfAborted()
}
