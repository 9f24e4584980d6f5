import type { ErrorCode } from './error-codes.ts'
import type { StageName } from './stages.ts'

export type { StageName }

export interface ErrorContext {
  stage?: StageName
  table?: string
  engine?: string
  /** What the operator should do next; printed after the message. */
  hint?: string
  /** False when --resume cannot get past it (it would meet the same refusal): the hint then says what to do instead. */
  resumable?: boolean
}

/**
 * The one error type drydock raises on purpose. `code` is stable (DD_SCREAMING_SNAKE) and
 * listed in error-codes.ts (docs/errors.md); the message says what failed and where, the hint what to do.
 */
export class DrydockError extends Error {
  logged = false
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly ctx: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'DrydockError'
  }

  /** Message plus hint, as printed to the operator. */
  describe(): string {
    const where = [this.ctx.stage, this.ctx.table && `table ${this.ctx.table}`].filter(Boolean).join(': ')
    const head = where ? `${where}: ${this.message}` : this.message
    return this.ctx.hint ? `${head}\n  → ${this.ctx.hint}` : head
  }
}

export function isDrydockError(error: unknown): error is DrydockError {
  return error instanceof DrydockError
}

/** Adds stage/table context to an error raised below, keeping the cause. */
export function inStage(stage: StageName, error: unknown, table?: string): DrydockError {
  if (error instanceof DrydockError) {
    if (!error.ctx.stage) Object.assign(error.ctx, { stage })
    if (table && !error.ctx.table) Object.assign(error.ctx, { table })
    return error
  }
  const message = error instanceof Error ? error.message : String(error)
  return new DrydockError('DD_UNEXPECTED', message, { stage, table }, { cause: error })
}
