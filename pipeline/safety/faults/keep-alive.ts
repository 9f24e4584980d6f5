/**
 * Keeping held connections alive through proxies that cut idle ones (issue 11, items 3 and 9).
 *
 * HAProxy, L7 balancers and pgbouncer count payload, not TCP keepalive probes: a snapshot
 * holder, a source lock or an idle snapshot worker that sends nothing for longer than the
 * proxy's idle timeout is cut, and with it the snapshot or the lock. Every drydock connection
 * therefore sends a cheap statement (`SELECT 1`, inside whatever transaction it holds) once it
 * has been idle for half the idle limit. It is sent only while the connection has no statement
 * of its own running or queued, and the client libraries queue statements one after the
 * other, so a ping never interleaves with a COPY, a LOAD DATA or a query.
 */

/** @defaultValue 60 s: well under HAProxy's common 5-minute `timeout client/server`. */
export const DEFAULT_IDLE_LIMIT_SECONDS = 60

let idleLimitMs = DEFAULT_IDLE_LIMIT_SECONDS * 1000

/**
 * The longest a connection may stay silent on the way to a server (config `idleLimitSeconds`,
 * `--idle-limit`). Applies to connections opened from now on.
 */
export function setIdleLimit(seconds: number = DEFAULT_IDLE_LIMIT_SECONDS): void {
  idleLimitMs = seconds * 1000
}

export function idleLimitSeconds(): number {
  return idleLimitMs / 1000
}

/** What the keeper needs from a connection. */
export interface KeepAliveTarget {
  /** A statement of the session's own is running or queued. */
  busy(): boolean
  /** The cheap statement; its failure is ignored (the next real statement reports it). */
  ping(): Promise<unknown>
  /**
   * Breaks the connection with this error: the ping went unanswered for a whole idle limit, so
   * the connection is dead without the socket knowing (a proxy or NAT that dropped it
   * silently). Every statement queued behind fails with it instead of waiting forever.
   */
  kill(error: Error): void
}

export interface KeepAlive {
  /** A statement was sent: the connection is not idle. */
  touch(): void
  stop(): void
}

/**
 * Starts keeping a connection alive: checks four times per idle limit, pings when it found the
 * connection idle for half of it. The longest silence is then about ¾ of the limit. The timer
 * does not keep the process alive.
 */
export function keepAlive(target: KeepAliveTarget, limitMs = idleLimitMs): KeepAlive {
  let last = Date.now()
  let pinging = false
  const timer = setInterval(() => {
    const now = Date.now()
    if (pinging || target.busy()) {
      last = now
      return
    }
    if (now - last < limitMs / 2) return
    last = now
    pinging = true
    const dead = setTimeout(() => target.kill(unanswered(limitMs)), limitMs)
    dead.unref()
    target.ping().catch(() => {}).finally(() => {
      clearTimeout(dead)
      pinging = false
    })
  }, Math.max(50, limitMs / 4))
  timer.unref()
  return {
    touch: () => { last = Date.now() },
    stop: () => clearInterval(timer),
  }
}

/** Transient (ETIMEDOUT): the unit that meets it is retried on a new connection. */
function unanswered(limitMs: number): Error {
  return Object.assign(new Error(`the server did not answer the keep-alive SELECT 1 within ${limitMs / 1000} s: the connection is dead (dropped by a proxy or the network)`), { code: 'ETIMEDOUT' })
}
