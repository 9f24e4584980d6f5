import { appendFile } from 'node:fs/promises'
import type { ParsedStep } from '../../config/config.ts'
import { type StagingContext, track } from '../../run-state/context.ts'
import { formatBytes, formatSeconds } from '../../util/files.ts'
import { loadTransform } from './load-transform.ts'
import type { TransformRecord } from '../../run-state/stage-records.ts'
import { executeTransform } from './run-transform.ts'

/** A `{ transform: 'file.ts' }` migration step on staging; its counts go to the step log and the manifest. */
export async function runTransformStep(ctx: StagingContext, step: ParsedStep, log: string): Promise<TransformRecord> {
  const spec = await loadTransform(step.spec)
  const retry = ctx.manifest.data.steps.some((s) => s.index === step.index && s.status === 'failed')
  await appendFile(log, `transform ${spec.name} (${spec.file})${retry ? ', retried: targets emptied first' : ''}\n`, { mode: 0o600 })
  const record = await executeTransform(spec, {
    driver: ctx.driver, endpoint: ctx.staging, jobs: ctx.options.jobs, retry,
    ...(ctx.config.schemas ? { schemas: ctx.config.schemas } : {}),
    ...(ctx.progress ? { progress: ctx.progress } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    track: (session) => track(ctx, session),
  })
  await appendFile(log, `${transformSummary(record)}\n`)
  return record
}

/** A few lines: rows and bytes in and out, speed. */
export function transformSummary(r: TransformRecord): string {
  const seconds = Math.max(r.ms, 1) / 1000
  return [
    ...r.sources.map((s) => `in:  ${s.table}${s.joined ? ` (joined with ${s.joined})` : ''}: ${s.rows} rows, ${formatBytes(s.bytes)}, ${s.chunks} chunk(s)`),
    ...r.lookups.map((l) => `lookup ${l.name}: ${l.table}, ${l.rows} rows`),
    ...r.targets.map((t) => `out: ${t.table}: ${t.rows} rows, ${formatBytes(t.bytes)}`),
    `${r.rowsIn} rows in, ${r.rowsOut} rows out in ${formatSeconds(r.ms)} with ${r.workers} worker(s): ${Math.round(r.rowsIn / seconds)} rows/s, ${formatBytes(r.bytesIn / seconds)}/s in`,
  ].join('\n')
}
