import type { Driver } from '../../drivers/driver.ts'
import { DrydockError } from '../../errors.ts'

/**
 * A connection lost where no unit retries it (the snapshot holder between stages, a session a
 * stage holds for its whole length) is a resumable stop, never DD_UNEXPECTED: the stage failed
 * through no fault of the data, and --resume takes a new snapshot and continues from the last
 * finished unit. `error` is what a stage threw, already wrapped by `inStage`.
 */
export function asLostConnection(error: DrydockError, driver: Driver): DrydockError {
  if (error.code !== 'DD_UNEXPECTED' || error.cause === undefined || !driver.isTransient(error.cause)) return error
  const where = error.ctx.stage ? ` in the ${error.ctx.stage} stage` : ''
  return new DrydockError('DD_CONNECTION_LOST', `a connection to a database server was lost${where}: ${error.message}`, {
    ...error.ctx,
    hint: 'check the server and the network on the way (a proxy or balancer that drops idle connections: set idleLimitSeconds / --idle-limit below its timeout), then rerun with --resume',
  }, { cause: error.cause })
}
