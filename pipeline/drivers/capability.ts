import { DrydockError } from '../errors.ts'

/**
 * An optional capability of a driver or session that the caller has already established the
 * engine has (the run recorded a schema swap, a checkpoint by cloning, a refresh with triggers
 * taken off): its absence is a drydock bug, said as one, not a `TypeError` on `undefined`.
 * Methods come back bound to their holder.
 */
export function required<T extends object, K extends keyof T>(holder: T, name: K): NonNullable<T[K]> {
  const value = holder[name]
  if (value === undefined || value === null) {
    throw new DrydockError('DD_INTERNAL_CAPABILITY', `the engine's driver lacks ${String(name)}, which this run relies on`, {
      hint: 'report it with logs/events.jsonl: the run should not have chosen a path its engine cannot take',
    })
  }
  return (typeof value === 'function' ? value.bind(holder) : value) as NonNullable<T[K]>
}
