/**
 * A TCP proxy of the tests' own between a client and a local database server, 127.0.0.1
 * only, that misbehaves on demand like the load balancers and NAT boxes of production:
 *
 * - `idleMs`: cuts a connection that carried no bytes either way for that long (an idle
 *   timeout counts payload, not TCP keepalive probes, which the kernel answers below us);
 * - `cutAfterBytes` / `cutLimit`: cuts a connection once it carried that many bytes (both
 *   directions), for the next `cutLimit` connections that get that far; `cutAll()` cuts
 *   every open connection now;
 * - `stallAll()`: from now on swallows every byte of the open connections and keeps their
 *   sockets open, like a NAT box or proxy that forgot them without telling either side;
 * - `armCutOnQuery(marker)`: cuts the next connection, open or new, whose client sends bytes
 *   containing `marker` (a statement's text), before the server sees them: a fault placed on
 *   one statement of one stage by what the client does, not by a clock;
 * - `refuseFor(ms)`: stops listening, so that new connections are refused (ECONNREFUSED),
 *   like a server restarting; open connections stay. Refusing starts within the call (the
 *   listener closes synchronously); the promise resolves once it listens again.
 *
 * A cut resets both sides (RST: the client sees ECONNRESET) or, with `cutKind: 'close'`,
 * closes them (FIN: "connection terminated unexpectedly"). The proxy closes itself after
 * `lifetimeMs` whatever the test does.
 */
import { createServer, type Server, Socket } from 'node:net'

export interface FaultProxyOptions {
  /** The real server; only loopback addresses are accepted. */
  readonly target: { host: string; port: number }
  readonly idleMs?: number
  readonly cutAfterBytes?: number
  /** How many connections the byte cut may hit. @defaultValue unlimited */
  readonly cutLimit?: number
  readonly cutKind?: 'reset' | 'close'
  /** @defaultValue 120000 */
  readonly lifetimeMs?: number
}

export interface FaultProxyStats {
  accepted: number
  cutIdle: number
  cutBytes: number
  cutManual: number
  cutQuery: number
  bytesUp: number
  bytesDown: number
}

export interface FaultProxy {
  readonly host: '127.0.0.1'
  readonly port: number
  readonly stats: FaultProxyStats
  /** Open client connections. */
  connections(): number
  cutAll(): number
  /** Silently drops every open connection (no FIN, no RST); returns how many. */
  stallAll(): number
  /**
   * Arms the byte cut again, for the next `limit` connections accepted from now on; with
   * `open`, connections already open count too, from their next byte.
   */
  armCut(afterBytes: number, limit?: number, options?: { open?: boolean }): void
  /** Cuts the next `limit` connections (open or new) whose client sends `marker`. */
  armCutOnQuery(marker: string, limit?: number): void
  setIdleMs(ms: number | undefined): void
  refuseFor(ms: number): Promise<void>
  close(): Promise<void>
}

interface Pair {
  client: Socket
  server: Socket
  bytes: number
  /** The byte cut armed when the connection was accepted (armCut applies to later connections only). */
  generation: number
  /** The client's last bytes, so that a marker split between two chunks is still seen. */
  tail: Buffer
  idleTimer?: NodeJS.Timeout
  cut: boolean
  stalled?: boolean
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  if (!LOOPBACK.test(options.target.host)) throw new Error(`fault proxy: refusing non-loopback target ${options.target.host}`)
  const stats: FaultProxyStats = { accepted: 0, cutIdle: 0, cutBytes: 0, cutManual: 0, cutQuery: 0, bytesUp: 0, bytesDown: 0 }
  const pairs = new Set<Pair>()
  let idleMs = options.idleMs
  let cutAfter = options.cutAfterBytes
  let cutsLeft = options.cutLimit ?? Number.POSITIVE_INFINITY
  let generation = 0
  let queryMarker: Buffer | undefined
  let queryCutsLeft = 0
  const kind = options.cutKind ?? 'reset'
  let closed = false

  const cut = (pair: Pair, why: 'cutIdle' | 'cutBytes' | 'cutManual' | 'cutQuery') => {
    if (pair.cut) return
    pair.cut = true
    stats[why]++
    clearTimeout(pair.idleTimer)
    for (const s of [pair.client, pair.server]) {
      if (kind === 'reset' && typeof s.resetAndDestroy === 'function' && !s.destroyed && !s.connecting) s.resetAndDestroy()
      else s.destroy()
    }
  }

  const touch = (pair: Pair) => {
    clearTimeout(pair.idleTimer)
    if (idleMs !== undefined && !pair.cut) pair.idleTimer = setTimeout(() => cut(pair, 'cutIdle'), idleMs)
  }

  const onConnection = (client: Socket) => {
    stats.accepted++
    const server = new Socket()
    const pair: Pair = { client, server, bytes: 0, generation, tail: Buffer.alloc(0), cut: false }
    pairs.add(pair)
    const count = (n: number) => {
      pair.bytes += n
      touch(pair)
      if (cutAfter !== undefined && cutsLeft > 0 && pair.generation === generation && pair.bytes >= cutAfter) {
        cutsLeft--
        cut(pair, 'cutBytes')
      }
    }
    client.on('data', (chunk: Buffer) => {
      if (pair.cut || pair.stalled) return
      if (queryMarker && queryCutsLeft > 0) {
        const seen = Buffer.concat([pair.tail, chunk])
        if (seen.includes(queryMarker)) {
          queryCutsLeft--
          cut(pair, 'cutQuery')
          return
        }
        pair.tail = seen.subarray(Math.max(0, seen.length - queryMarker.length + 1))
      }
      stats.bytesUp += chunk.length
      if (!server.write(chunk)) client.pause()
      count(chunk.length)
    })
    server.on('data', (chunk: Buffer) => {
      if (pair.cut || pair.stalled) return
      stats.bytesDown += chunk.length
      if (!client.write(chunk)) server.pause()
      count(chunk.length)
    })
    server.on('drain', () => client.resume())
    client.on('drain', () => server.resume())
    const end = () => {
      clearTimeout(pair.idleTimer)
      pairs.delete(pair)
      client.destroy()
      server.destroy()
    }
    client.on('end', () => server.end())
    server.on('end', () => client.end())
    client.on('close', end)
    server.on('close', end)
    client.on('error', () => {})
    server.on('error', () => {})
    server.connect(options.target.port, options.target.host)
    touch(pair)
  }

  let listener: Server = createServer(onConnection)
  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    listener.once('error', reject)
    listener.listen(port, '127.0.0.1', () => {
      listener.off('error', reject)
      resolve((listener.address() as { port: number }).port)
    })
  })
  const port = await listen(0)
  const stopListening = () => new Promise<void>((resolve) => listener.close(() => resolve()))

  const proxy: FaultProxy = {
    host: '127.0.0.1',
    port,
    stats,
    connections: () => pairs.size,
    cutAll() {
      const open = [...pairs].filter((p) => !p.cut)
      for (const p of open) cut(p, 'cutManual')
      return open.length
    },
    stallAll() {
      const open = [...pairs].filter((p) => !p.cut && !p.stalled)
      for (const p of open) { p.stalled = true; clearTimeout(p.idleTimer) }
      return open.length
    },
    armCut(afterBytes, limit = 1, armOptions = {}) {
      generation++
      cutAfter = afterBytes
      cutsLeft = limit
      if (armOptions.open) for (const p of pairs) Object.assign(p, { generation, bytes: 0 })
    },
    armCutOnQuery(marker, limit = 1) {
      queryMarker = Buffer.from(marker, 'utf8')
      queryCutsLeft = limit
    },
    setIdleMs(ms) {
      idleMs = ms
      for (const p of pairs) touch(p)
    },
    async refuseFor(ms) {
      if (closed) return
      await stopListening()
      await new Promise((resolve) => setTimeout(resolve, ms))
      if (closed) return
      listener = createServer(onConnection)
      await listen(port)
    },
    async close() {
      if (closed) return
      closed = true
      clearTimeout(lifetime)
      for (const p of pairs) { clearTimeout(p.idleTimer); p.client.destroy(); p.server.destroy() }
      pairs.clear()
      await stopListening().catch(() => {})
    },
  }
  const lifetime = setTimeout(() => { void proxy.close() }, options.lifetimeMs ?? 120_000)
  lifetime.unref()
  return proxy
}
