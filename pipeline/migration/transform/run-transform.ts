import { PassThrough, type Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { coveringRange, type KeyRange, splitRange } from '../../compare/key-ranges.ts'
import type { ColumnInfo, Driver, Session, TableInfo } from '../../drivers/driver.ts'
import type { Endpoint } from '../../config/endpoint.ts'
import { DrydockError } from '../../errors.ts'
import type { StageProgress } from '../../display/progress.ts'
import { tableKey } from '../../run-state/run-dir.ts'
import type { TransformRecord } from '../../run-state/stage-records.ts'
import { forEachWithSlot } from '../../util/pool.ts'
import type { ResolvedTransform, Row, TransformContext } from './define-transform.ts'
import { loadLookups } from './lookups.ts'
import { resolveTable } from './tables.ts'

export interface TransformRunOptions {
  driver: Driver
  /** Staging. */
  endpoint: Endpoint
  jobs: number
  schemas?: readonly string[]
  progress?: StageProgress
  signal?: AbortSignal
  /** A previous attempt of this step may have written some chunks: empty the targets first. */
  retry?: boolean
  /** Every session opened (e.g. to close it on an interrupt). */
  track?: (session: Session) => Session
}

interface Target { output: string; table: TableInfo; key: string; columns: ColumnInfo[]; names: Set<string>; rows: number; bytes: number }

interface Source {
  table: TableInfo
  key: string
  columns?: readonly string[]
  /** The single-column integer primary key the chunks split, when there is one. */
  chunkKey?: string
  primaryKey: readonly string[]
  join?: { table: TableInfo; key: string; columns?: readonly string[] }
  rows: number
  bytes: number
  chunks: number
}

interface Worker { read: Session; join?: Session; writers: Session[] }

/** How many key ranges a source is cut into: enough for every worker to stay busy. */
const CHUNKS_PER_WORKER = 4

/**
 * Runs a transform on staging: each source is read (COPY / a streamed SELECT) in key ranges
 * over `jobs` workers, every row goes through the function, and the rows it returns stream
 * into their target tables (COPY FROM / LOAD DATA), with backpressure all the way, so memory
 * stays flat whatever the table's size. Each chunk's writes commit per target table when the
 * chunk is done; a failure stops every worker, rolls back the chunks under way, and is a
 * DD_TRANSFORM_FAILED naming the transform, the table and the row's key.
 */
export async function executeTransform(spec: ResolvedTransform, options: TransformRunOptions): Promise<TransformRecord> {
  const started = Date.now()
  const { driver, endpoint } = options
  const track = options.track ?? ((s: Session) => s)
  const open: Session[] = []
  const connect = async () => {
    options.signal?.throwIfAborted()
    const session = track(await driver.connect(endpoint))
    open.push(session)
    return session
  }
  try {
    const meta = await connect()
    const tables = await meta.inventory(options.schemas)
    const what = `transform ${spec.name}`
    const targets: Target[] = []
    for (const t of spec.targets) {
      const table = resolveTable(tables, t.table, what)
      const all = await meta.columns(table)
      const writable = all.filter((c) => !c.generated)
      const columns = t.columns
        ? t.columns.map((name) => {
          const column = all.find((c) => c.name === name)
          if (!column) throw new DrydockError('DD_TRANSFORM_FAILED', `${what}: target ${tableKey(table)} has no column ${name} (it has ${all.map((c) => c.name).join(', ')})`)
          if (column.generated) throw new DrydockError('DD_TRANSFORM_FAILED', `${what}: column ${name} of ${tableKey(table)} is generated and cannot be written`)
          return column
        })
        : writable
      targets.push({ output: t.output, table, key: tableKey(table), columns, names: new Set(columns.map((c) => c.name)), rows: 0, bytes: 0 })
      if (t.append) continue
      if (options.retry) { await meta.truncate(table); continue }
      const rows = await meta.rowCount(table)
      if (rows > 0) {
        throw new DrydockError('DD_TRANSFORM_FAILED', `${what}: target ${tableKey(table)} already holds ${rows} rows`, {
          table: tableKey(table), hint: 'a transform fills empty tables (create them in an earlier step); set append: true on the target to add to existing rows',
        })
      }
    }
    const sources: Source[] = []
    for (const s of spec.sources) {
      const table = resolveTable(tables, s.table, what)
      const source: Source = { table, key: tableKey(table), primaryKey: table.primaryKey, ...(s.columns ? { columns: s.columns } : {}), rows: 0, bytes: 0, chunks: 0 }
      if (table.primaryKey.length === 1) {
        try {
          await meta.keyBounds(table, table.primaryKey[0]!)
          source.chunkKey = table.primaryKey[0]!
        } catch (error) {
          if (!(error instanceof DrydockError)) throw error
        }
      }
      if (s.join) {
        if (!source.chunkKey) {
          throw new DrydockError('DD_TRANSFORM_FAILED', `${what}: source.join needs ${tableKey(table)} to have a single-column integer primary key (it has ${table.primaryKey.join(', ') || 'none'})`)
        }
        const joined = resolveTable(tables, s.join.table, what)
        try {
          await meta.keyBounds(joined, s.join.key)
        } catch (error) {
          throw new DrydockError('DD_TRANSFORM_FAILED', `${what}: join key ${s.join.key} of ${tableKey(joined)} must be an integer column: ${(error as Error).message}`)
        }
        source.join = { table: joined, key: s.join.key, ...(s.join.columns ? { columns: s.join.columns.includes(s.join.key) ? s.join.columns : [s.join.key, ...s.join.columns] } : {}) }
      }
      if (source.columns && source.chunkKey && !source.columns.includes(source.chunkKey)) source.columns = [source.chunkKey, ...source.columns]
      sources.push(source)
    }
    const lookups = await loadLookups(meta, tables, spec)

    let workersUsed = 0
    for (const source of sources) {
      const ranges = await chunksOf(meta, source, options.jobs)
      source.chunks = ranges.length
      if (ranges.length === 0) continue
      const count = Math.min(options.jobs, ranges.length)
      workersUsed = Math.max(workersUsed, count)
      const workers: Worker[] = []
      for (let i = 0; i < count; i++) {
        workers.push({
          read: await connect(),
          ...(source.join ? { join: await connect() } : {}),
          writers: await Promise.all(targets.map(() => connect())),
        })
      }
      await forEachWithSlot(ranges, workers, async (chunk, worker) => {
        options.signal?.throwIfAborted()
        await runChunk(spec, source, chunk.range, worker, targets, lookups.maps, options.progress)
      })
      await Promise.all(workers.flatMap((w) => [w.read, ...(w.join ? [w.join] : []), ...w.writers]).map((s) => s.close()))
    }
    await meta.analyze(targets.map((t) => t.table))
    const rowsIn = sources.reduce((sum, s) => sum + s.rows, 0)
    return {
      name: spec.name,
      file: spec.file,
      sources: sources.map((s) => ({ table: s.key, rows: s.rows, bytes: s.bytes, chunks: s.chunks, ...(s.join ? { joined: tableKey(s.join.table) } : {}) })),
      targets: targets.map((t) => ({ table: t.key, rows: t.rows, bytes: t.bytes })),
      lookups: lookups.counts,
      rowsIn,
      rowsOut: targets.reduce((sum, t) => sum + t.rows, 0),
      bytesIn: sources.reduce((sum, s) => sum + s.bytes, 0),
      bytesOut: targets.reduce((sum, t) => sum + t.bytes, 0),
      workers: workersUsed,
      ms: Date.now() - started,
    }
  } finally {
    await Promise.all(open.map((s) => s.close().catch(() => {})))
  }
}

/** Key ranges of a source with an integer key; one unbounded chunk otherwise. */
async function chunksOf(session: Session, source: Source, jobs: number): Promise<{ range?: KeyRange }[]> {
  if (!source.chunkKey) return [{}]
  const bounds = await session.keyBounds(source.table, source.chunkKey)
  const range = coveringRange(bounds)
  if (!range) return []
  const span = range.to - range.from
  const parts = jobs <= 1 ? 1 : Math.max(1, Math.min(jobs * CHUNKS_PER_WORKER, Number(span / 1000n) || 1))
  return splitRange(range, parts).map((r) => ({ range: r }))
}

const waitDrain = (stream: Writable) => new Promise<void>((resolve) => {
  const done = () => { stream.off('drain', done).off('close', done).off('error', done); resolve() }
  stream.on('drain', done).on('close', done).on('error', done)
})

function describeKey(row: Row, primaryKey: readonly string[], ordinal: number, range: KeyRange | undefined): string {
  if (primaryKey.length > 0 && primaryKey.every((k) => row[k] !== undefined)) {
    return primaryKey.map((k) => `${k}=${show(row[k]!)}`).join(', ')
  }
  return `row ${ordinal}${range ? ` of key range [${range.from}, ${range.to})` : ''}`
}

function show(value: Row[string]): string {
  if (value === null) return 'NULL'
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, 60)}…` : value
  return `0x${value.toString('hex').slice(0, 40)}`
}

/** What is wrong with an output row for its target, or undefined. */
function rowProblem(row: unknown, target: Target): string | undefined {
  if (typeof row !== 'object' || row === null || Array.isArray(row) || Buffer.isBuffer(row)) return `expected a row object for ${target.key}, got ${Array.isArray(row) ? 'an array' : typeof row}`
  const r = row as Record<string, unknown>
  let present = 0
  for (const column of target.columns) {
    const value = r[column.name]
    if (value === undefined) return `the row for ${target.key} lacks column ${column.name}`
    present++
    if (value === null || typeof value === 'string' || typeof value === 'bigint') continue
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
      if (!column.binary) return `column ${column.name} of ${target.key} (${column.type}) takes text, got bytes (a Buffer)`
      continue
    }
    if (typeof value === 'number' && Number.isSafeInteger(value)) continue
    return `column ${column.name} of ${target.key}: ${typeof value === 'number' ? `the number ${value} is not exact: pass a string or a bigint` : value instanceof Date ? 'a Date: pass the timestamp as a string' : `a ${typeof value} is not a string, Buffer, bigint or null`}`
  }
  let keys = 0
  for (const _ in r) keys++
  if (keys !== present) {
    const extra = Object.keys(r).filter((k) => !target.names.has(k))
    return `the row for ${target.key} has column(s) ${extra.join(', ')} that ${target.key} does not take (columns: ${[...target.names].join(', ')})`
  }
  return undefined
}

/** One key range of one source: read → function → targets, every stream with backpressure. */
async function runChunk(
  spec: ResolvedTransform, source: Source, range: KeyRange | undefined, worker: Worker,
  targets: Target[], lookups: Record<string, ReadonlyMap<string, Row>>, progress?: StageProgress,
): Promise<void> {
  const rangeOption = range && source.chunkKey ? { key: source.chunkKey, from: String(range.from), to: String(range.to) } : undefined
  const reader = await worker.read.readRows(source.table, {
    ...(source.columns ? { columns: source.columns } : {}),
    ...(rangeOption ? { range: rangeOption } : {}),
    ...(source.join ? { orderBy: source.chunkKey! } : {}),
  })
  const joinReader = source.join && rangeOption
    ? await worker.join!.readRows(source.join.table, {
      ...(source.join.columns ? { columns: source.join.columns } : {}),
      range: { ...rangeOption, key: source.join.key },
      orderBy: source.join.key,
    })
    : undefined
  const joined = joinReader ? (joinReader.stream as AsyncIterable<Row>)[Symbol.asyncIterator]() : undefined
  let nextJoined: { key: bigint; row: Row } | undefined
  let joinDone = false
  const tick = progress?.start(`${spec.name}: ${source.key}${range ? ` [${range.from}, ${range.to})` : ''}`)
  // A writer attaches to its stream only once its transaction began; a failure before that must
  // not surface as an unhandled 'error' event (the writer still sees the stream destroyed).
  const outs = targets.map(() => new PassThrough({ objectMode: true, highWaterMark: 64 }).on('error', () => {}))
  const byOutput = new Map(targets.map((t, i) => [t.output, i]))
  let ordinal = 0
  let lastBytes = 0

  const fail = (row: Row, message: string, cause?: unknown) => new DrydockError('DD_TRANSFORM_FAILED',
    `transform ${spec.name} failed on ${source.key} row ${describeKey(row, source.primaryKey, ordinal, range)}: ${message}`,
    { table: source.key, hint: `fix ${spec.file}; try it with --sample N --transform ${spec.file}` }, cause === undefined ? undefined : { cause })

  const matchJoin = async (row: Row): Promise<Row | undefined> => {
    const text = row[source.chunkKey!]
    if (typeof text !== 'string') return undefined
    const key = BigInt(text)
    while (!joinDone && (!nextJoined || nextJoined.key < key)) {
      const next = await joined!.next()
      if (next.done) { joinDone = true; nextJoined = undefined; break }
      const value = next.value[source.join!.key]
      if (typeof value !== 'string') continue
      const k = BigInt(value)
      if (nextJoined && k === nextJoined.key) throw fail(row, `join key ${source.join!.key} of ${tableKey(source.join!.table)} is not unique (${value} appears twice)`)
      nextJoined = { key: k, row: next.value }
    }
    return nextJoined && nextJoined.key === key ? nextJoined.row : undefined
  }

  const send = async (row: Row, output: unknown, index: number) => {
    const list = Array.isArray(output) ? output : [output]
    const target = targets[index]!
    for (const out of list) {
      if (out === null || out === undefined) continue
      const problem = rowProblem(out, target)
      if (problem) throw fail(row, problem)
      const stream = outs[index]!
      if (stream.destroyed) throw new Error(`the writer of ${target.key} stopped`)
      if (!stream.write(out)) await waitDrain(stream)
    }
  }

  const apply = new Writable({
    objectMode: true,
    highWaterMark: 64,
    write: (row: Row, _encoding, callback) => {
      void (async () => {
        ordinal++
        const ctx: TransformContext = { source: source.key, joined: joined ? await matchJoin(row) : undefined, lookups }
        let result: unknown
        try {
          result = spec.fn(row, ctx)
          if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') result = await result
        } catch (error) {
          throw fail(row, error instanceof Error ? error.message : String(error), error)
        }
        if (result === null || result === undefined) return
        if (spec.single) {
          await send(row, result, 0)
        } else {
          if (typeof result !== 'object' || Array.isArray(result)) {
            throw fail(row, `expected { ${[...byOutput.keys()].join(', ')} } with rows for each target, got ${Array.isArray(result) ? 'an array' : typeof result}`)
          }
          for (const [output, rows] of Object.entries(result as Record<string, unknown>)) {
            const index = byOutput.get(output)
            if (index === undefined) throw fail(row, `returned rows for ${output}, which is not a target (targets: ${[...byOutput.keys()].join(', ')})`)
            await send(row, rows, index)
          }
        }
        if (ordinal % 500 === 0) {
          const bytes = reader.bytes()
          tick?.add(bytes - lastBytes, 500)
          lastBytes = bytes
        }
      })().then(() => callback(), (error: Error) => callback(error))
    },
    final: (callback) => {
      for (const out of outs) out.end()
      callback()
    },
  })

  let firstError: { error: unknown; where: string } | undefined
  const stopAll = (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error))
    reader.stream.destroy(e)
    joinReader?.stream.destroy(e)
    apply.destroy(e)
    for (const out of outs) out.destroy(e)
  }
  const watch = <T>(promise: Promise<T>, where: string): Promise<T> => promise.catch((error: unknown) => {
    firstError ??= { error, where }
    stopAll(error)
    throw error
  })
  const writes = targets.map((t, i) => watch<number>(worker.writers[i]!.writeRows(t.table, t.columns, outs[i]! as Readable, (n) => { t.bytes += n }), `writing ${t.key}`))
  const results = await Promise.allSettled([watch(pipeline(reader.stream, apply), `reading ${source.key}`), ...writes])
  if (firstError) {
    const { error, where } = firstError
    if (error instanceof DrydockError && error.code === 'DD_TRANSFORM_FAILED') throw error
    throw new DrydockError('DD_TRANSFORM_FAILED', `transform ${spec.name}: ${where} failed${range ? ` (key range [${range.from}, ${range.to}) of ${source.key})` : ''}: ${(error as Error)?.message ?? String(error)}`, {
      table: where.replace(/^(writing|reading) /, ''), hint: 'the chunks under way were rolled back; production is untouched',
    }, { cause: error })
  }
  for (const r of results) if (r.status === 'rejected') throw r.reason
  // Rows of the joined table past the last source row: read them so the session is free again.
  if (joined) while (!(await joined.next()).done) { /* drain */ }
  source.rows += ordinal
  const bytes = reader.bytes()
  source.bytes += bytes + (joinReader?.bytes() ?? 0)
  targets.forEach((t, i) => { t.rows += (results[i + 1] as PromiseFulfilledResult<number>).value })
  tick?.add(bytes - lastBytes, ordinal % 500)
  tick?.done()
}
