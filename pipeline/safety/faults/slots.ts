import { track, type RunContext, type SnapshotContext } from '../../run-state/context.ts'
import type { Session } from '../../drivers/driver.ts'
import { describeEndpoint, type Endpoint } from '../../config/endpoint.ts'
import type { ErrorContext } from '../../errors.ts'
import { withRetry } from './retry.ts'

/** A worker's connection, which a transient failure replaces with a new one. */
export interface Slot {
  session: Session
  readonly renew: () => Promise<Session>
}

/**
 * Runs one unit (a table's dump, load, checksum) on a slot. A transient error (connection
 * reset, server restart, timeout) closes the slot's session, opens a new one and runs the
 * whole unit again, with backoff, a bounded number of times; every unit is idempotent.
 */
export async function runUnit<T>(
  ctx: RunContext, unit: string, slot: Slot, context: ErrorContext, fn: (session: Session, attempt: number) => Promise<T>,
): Promise<T> {
  return runPairUnit(ctx, unit, [slot], context, ([session], attempt) => fn(session!, attempt))
}

/**
 * runUnit over sessions on two servers at once (direct mode reads one and writes the other):
 * a transient failure renews every one of them before the unit runs again.
 */
export async function runPairUnit<T>(
  ctx: RunContext, unit: string, slots: readonly Slot[], context: ErrorContext, fn: (sessions: Session[], attempt: number) => Promise<T>,
): Promise<T> {
  return withRetry(unit, async (attempt) => {
    if (attempt > 1) {
      for (const slot of slots) {
        await slot.session.close().catch(() => {})
        slot.session = track(ctx, await slot.renew())
      }
    }
    return fn(slots.map((s) => s.session), attempt)
  }, {
    isTransient: ctx.driver.isTransient.bind(ctx.driver),
    signal: ctx.signal,
    context,
    onRetry: (info) => {
      ctx.log.write({ kind: 'warning', stage: context.stage ?? 'load', message: `${unit}: attempt ${info.attempt} failed (${info.error instanceof Error ? info.error.message : String(info.error)}), retrying in ${(info.delayMs / 1000).toFixed(1)} s` })
    },
  })
}

/** `count` slots on an endpoint for the duration of `work`; every session closed afterwards. */
export async function withSlots<T>(ctx: RunContext, endpoint: Endpoint, count: number, work: (slots: Slot[]) => Promise<T>): Promise<T> {
  const slots: Slot[] = []
  const renew = () => ctx.driver.connect(endpoint)
  try {
    for (let i = 0; i < count; i++) {
      ctx.signal.throwIfAborted()
      // A server that is restarting gets the same bounded patience as a unit.
      const session = await withRetry(`connect to ${describeEndpoint(endpoint)}`, renew, {
        isTransient: ctx.driver.isTransient.bind(ctx.driver),
        signal: ctx.signal,
      })
      slots.push({ session: track(ctx, session), renew })
    }
    return await work(slots)
  } finally {
    await Promise.all(slots.map((s) => s.session.close().catch(() => {})))
  }
}

/**
 * Slots on the snapshot's workers. A lost worker is replaced by one that sees the same
 * instant: PostgreSQL imports the snapshot again, MySQL takes a spare opened with it (until
 * they run out: DD_SNAPSHOT_LOST, resumable; README.md "A lost snapshot worker").
 */
export function snapshotSlots(ctx: SnapshotContext): Slot[] {
  return ctx.sourceWorkers.map((session) => ({ session, renew: () => ctx.snapshot.worker() }))
}
