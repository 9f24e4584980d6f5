/**
 * Retrying one unit of work (a table's dump, load, checksum) after a transient failure:
 * exponential backoff with jitter, a bounded number of attempts, and a clear error naming the
 * unit when they are used up. The unit must be idempotent: every attempt starts it over on a
 * new connection (see withRetrySession), and drydock's units are (files are written to
 * `.partial` and renamed, loads TRUNCATE and COPY in one transaction, checksums only read).
 */
import { DrydockError, type ErrorContext } from '../../errors.ts'
import { isNetworkTransient } from './transient.ts'

export interface RetryInfo {
  readonly unit: string
  /** The attempt that failed (1-based). */
  readonly attempt: number
  readonly attempts: number
  /** How long withRetry waits before the next attempt. */
  readonly delayMs: number
  readonly error: unknown
}

export interface RetryOptions {
  /** Attempts in all, the first included. @defaultValue 4 */
  attempts?: number
  /** Backoff before the 2nd attempt; doubles each time. @defaultValue 500 */
  baseMs?: number
  /** Longest wait between two attempts. @defaultValue 15000 */
  maxMs?: number
  /** Which errors are worth another attempt. @defaultValue isNetworkTransient (pass `driver.isTransient`) */
  isTransient?: (error: unknown) => boolean
  /** Called before each wait (log it: "dump public.t: attempt 1/4 failed (…), retrying in 0.6 s"). */
  onRetry?: (info: RetryInfo) => void | Promise<void>
  /** Stops waiting and retrying at once (Ctrl-C); the abort reason is thrown. */
  signal?: AbortSignal
  /** Added to the DD_TRANSIENT_EXHAUSTED error (stage, table). */
  context?: ErrorContext
  /** For tests: the random source of the jitter, in [0, 1). */
  random?: () => number
}

export const RETRY_DEFAULTS = { attempts: 4, baseMs: 500, maxMs: 15_000 } as const

/**
 * The wait after failed attempt `attempt` (1-based): `base · 2^(attempt-1)`, capped at `max`,
 * with "equal jitter" (between half and all of it), so that workers that failed together
 * do not come back together.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DrydockError('DD_ABORTED', 'stopped, as asked', { hint: 'rerun with --resume to continue' })
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal))
    const onAbort = () => { clearTimeout(timer); reject(abortReason(signal!)) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function describeCause(error: unknown): string {
  if (error instanceof DrydockError) return error.message
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return code !== undefined && !error.message.includes(String(code)) ? `${error.message} (${String(code)})` : error.message
  }
  return String(error)
}

/**
 * Runs `fn` (given the attempt number, 1-based) until it succeeds, fails with an error that
 * is not transient (rethrown as it is), or has failed `attempts` times with transient errors:
 * then DD_TRANSIENT_EXHAUSTED names the unit, the attempts and the last cause.
 */
export async function withRetry<T>(unitName: string, fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? RETRY_DEFAULTS.attempts))
  const baseMs = Math.max(0, options.baseMs ?? RETRY_DEFAULTS.baseMs)
  const maxMs = Math.max(baseMs, options.maxMs ?? RETRY_DEFAULTS.maxMs)
  const transient = options.isTransient ?? isNetworkTransient
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw abortReason(options.signal)
    try {
      return await fn(attempt)
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal)
      if (!transient(error)) throw error
      if (attempt >= attempts) {
        throw new DrydockError(
          'DD_TRANSIENT_EXHAUSTED',
          `${unitName} failed ${attempts} time${attempts === 1 ? '' : 's'} on transient errors; the last one: ${describeCause(error)}`,
          { ...options.context, hint: 'the server or the network kept failing: check them, then rerun with --resume to continue from this unit' },
          { cause: error },
        )
      }
      const delayMs = backoffDelay(attempt, baseMs, maxMs, options.random)
      await options.onRetry?.({ unit: unitName, attempt, attempts, delayMs, error })
      await sleep(delayMs, options.signal)
    }
  }
}

/** What withRetrySession needs of a driver (a Driver fits). */
export interface SessionSource<S extends { close(): Promise<void> }> {
  connect(): Promise<S>
  isTransient?: (error: unknown) => boolean
}

/**
 * withRetry with a new session for every attempt, closed afterwards whatever happens: a unit
 * that failed on a broken connection never runs again on it.
 * e.g. `withRetrySession('load public.t', { connect: () => driver.connect(staging), isTransient: driver.isTransient }, (s) => fileToTable(s, …))`
 */
export async function withRetrySession<S extends { close(): Promise<void> }, T>(
  unitName: string, source: SessionSource<S>, fn: (session: S, attempt: number) => Promise<T>, options: RetryOptions = {},
): Promise<T> {
  const isTransient = options.isTransient ?? source.isTransient ?? isNetworkTransient
  return withRetry(unitName, async (attempt) => {
    const session = await source.connect()
    try {
      return await fn(session, attempt)
    } finally {
      await session.close().catch(() => {})
    }
  }, { ...options, isTransient })
}
