import type { Transform } from 'node:stream'
import type { RunContext } from '../run-state/context.ts'
import type { TableInfo } from '../drivers/driver.ts'
import { fileStillGood } from './file-check.ts'
import { dataFileName, tableToFile } from './table-to-file.ts'
import { inStage, isDrydockError, type StageName } from '../errors.ts'
import { runPairUnit, runUnit, type Slot } from '../safety/faults/slots.ts'
import { fileToTable } from './file-to-table.ts'
import { type DumpSummary, type PartRecord, tableKey } from '../run-state/run-dir.ts'
import { forEachWithSlot } from '../util/pool.ts'
import { copyDirect } from './copy-direct.ts'
import { describePart, planParts, type PartSizing } from './plan-parts.ts'
import { compressionOf } from './settings.ts'
import { fileSuffix } from './file-codec.ts'

/** A table whose parts a stage moves: its manifest record (mutated in place) and catalog facts. */
export interface PartOwner {
  readonly schema: string
  readonly name: string
  parts?: PartRecord[]
  dump?: DumpSummary
  loaded?: boolean
}

export interface MovingTable {
  readonly record: PartOwner
  readonly info: TableInfo
  /** 1-based place in the run's table list: the files' name prefix. */
  readonly position: number
}

export interface MoveJob {
  readonly stage: StageName
  readonly dir: string
  readonly tables: readonly MovingTable[]
  /** A part not loaded may have committed in an earlier attempt: key parts clear their range first. */
  readonly resumed: boolean
  /** Rate limit and the like, per stream into the database. */
  readonly through?: () => Transform[]
  readonly fromName: string
  readonly toName: string
  /** Makes the target's commits crash-safe before they are recorded (ephemeral staging). */
  readonly durable?: () => Promise<void>
}

interface Unit {
  readonly table: MovingTable
  readonly part: PartRecord
  readonly index: number
  readonly weight: number
}

/** Splits every table that has no plan yet (manifest), on the reading side's sessions. */
export async function planAllParts(ctx: RunContext, job: MoveJob, slots: readonly Slot[], sizing: PartSizing): Promise<void> {
  const unplanned = job.tables.filter((t) => !t.record.parts)
  await forEachWithSlot(unplanned, slots, async (t, slot) => {
    const ranges = await runUnit(ctx, `plan the parts of ${tableKey(t.info)}`, slot, { stage: job.stage, table: tableKey(t.info) },
      (session) => planParts(session, t.info, sizing))
    t.record.parts = ranges.length > 0 ? ranges.map((range) => ({ range })) : [{}]
  }, ctx.signal)
  if (unplanned.length > 0) await ctx.manifest.save()
}

/**
 * A resumed load into a table split by heap pages cannot take back one part (its rows are not
 * identifiable in the target): if some part may have committed but not all did, the table is
 * emptied and every part of it is loaded again from its file.
 */
export async function resetPageSplitTables(ctx: RunContext, job: MoveJob, slot: Slot): Promise<void> {
  if (!job.resumed) return
  for (const t of job.tables) {
    const parts = t.record.parts ?? []
    if (!parts.some((p) => p.range?.kind === 'pages') || parts.every((p) => p.loaded)) continue
    await runUnit(ctx, `empty ${tableKey(t.info)} on ${job.toName}`, slot, { stage: job.stage, table: tableKey(t.info) }, async (session) => {
      await session.truncate(t.info)
    })
    for (const part of parts) part.loaded = false
    t.record.loaded = false
  }
  await ctx.manifest.save()
}

function unitsOf(job: MoveJob, wanted: (part: PartRecord) => boolean): Unit[] {
  const units = job.tables.flatMap((table) => {
    const parts = table.record.parts ?? [{}]
    return parts.flatMap((part, index) => (wanted(part) ? [{ table, part, index, weight: table.info.bytes / parts.length }] : []))
  })
  // Largest first, so the run does not end waiting on one big unit started last.
  return units.sort((a, b) => b.weight - a.weight)
}

function fileName(ctx: RunContext, unit: Unit): string {
  const count = unit.table.record.parts?.length ?? 1
  return dataFileName(unit.table.position, unit.table.info, ctx.driver.fileExtension, { index: unit.index, count }, fileSuffix(compressionOf(ctx)))
}

/** Progress counts parts when any table is split, else tables. */
function unitName(job: MoveJob, units: readonly Unit[]): string {
  return units.length > new Set(units.map((u) => u.table)).size || job.tables.some((t) => (t.record.parts?.length ?? 1) > 1) ? 'parts' : 'tables'
}

function label(unit: Unit): string {
  const count = unit.table.record.parts?.length ?? 1
  return count > 1 ? `${tableKey(unit.table.info)} [${unit.index + 1}/${count}]` : tableKey(unit.table.info)
}

function partOption(unit: Unit, resumed: boolean, attempt: number) {
  const range = unit.part.range
  if (!range) return undefined
  // Only a key range can be deleted on its own; a page-split table is emptied by resetPageSplitTables.
  return { range, clear: range.kind === 'key' && (resumed || attempt > 1) }
}

/** On resume, parts whose file is gone or no longer hashes right lose their record. */
export async function dropBadFiles(ctx: RunContext, job: MoveJob): Promise<void> {
  if (!ctx.resumed) return
  for (const t of job.tables) {
    const parts = t.record.parts ?? []
    for (const part of parts) {
      if (part.file && !(await fileStillGood(job.dir, part.file))) {
        delete part.file
        delete t.record.dump
      }
    }
    const kept = parts.filter((p) => p.file).length
    if (kept > 0) {
      const what = kept === parts.length ? (parts.length > 1 ? `all ${kept} parts` : 'dumped') : `${kept} of ${parts.length} parts`
      ctx.log.write({ kind: 'info', stage: job.stage, message: `skipping ${tableKey(t.info)}: ${what} and intact from a previous attempt` })
    }
  }
  await ctx.manifest.save()
}

/**
 * Writes every part that has no file yet: straight into the target too when `to` slots are
 * given (direct mode), else to its file only (the load reads the files afterwards).
 */
export async function writeParts(ctx: RunContext, job: MoveJob, from: readonly Slot[], to?: readonly Slot[]): Promise<void> {
  const units = unitsOf(job, (part) => !part.file)
  if (ctx.progress) {
    ctx.progress.expect(units.length, unitName(job, units))
    ctx.progress.expectedBytes += units.reduce((sum, u) => sum + u.weight, 0)
  }
  const slots = from.map((slot, i) => ({ from: slot, to: to?.[i] }))
  await forEachWithSlot(units, slots.slice(0, to ? Math.min(from.length, to.length) : from.length), async (unit, pair) => {
    const key = tableKey(unit.table.info)
    const started = Date.now()
    const file = fileName(ctx, unit)
    const range = unit.part.range
    try {
      if (pair.to && !unit.part.loaded) {
        const name = `copy ${label(unit)} (${describePart(range)}) from ${job.fromName} into ${job.toName}`
        const result = await runPairUnit(ctx, name, [pair.from, pair.to], { stage: job.stage, table: key }, async ([reader, writer], attempt) => {
          const part = partOption(unit, job.resumed, attempt)
          return copyDirect(reader!, writer!, unit.table.info, job.dir, file, {
            ...(range ? { range } : {}), ...(part ? { part } : {}), ...(ctx.progress ? { progress: ctx.progress } : {}),
            label: label(unit), through: job.through?.() ?? [], compression: compressionOf(ctx),
          })
        })
        if (result.record) unit.part.file = result.record
        if (result.committed) await job.durable?.()
        unit.part.loaded = result.committed
        await ctx.manifest.save()
        if (result.error) throw result.error
      } else {
        const name = `dump ${label(unit)} (${describePart(range)}) from ${job.fromName}`
        unit.part.file = await runUnit(ctx, name, pair.from, { stage: job.stage, table: key },
          (session) => tableToFile(session, unit.table.info, job.dir, file, {
            ...(ctx.progress ? { progress: ctx.progress } : {}), ...(range ? { range } : {}), label: label(unit), compression: compressionOf(ctx),
          }))
        await ctx.manifest.save()
      }
      const record = unit.part.file!
      ctx.log.write({ kind: 'table-done', stage: job.stage, table: key, ...(unit.index > 0 || range ? { part: unit.index } : {}), rows: record.rows, bytes: record.bytes, ms: Date.now() - started })
    } catch (error) {
      throw inStage(job.stage, error, key)
    }
  }, ctx.signal)
  await summarize(ctx, job)
}

/** Loads every part that has a file and is not loaded yet, from its file. */
export async function loadParts(ctx: RunContext, job: MoveJob, to: readonly Slot[]): Promise<void> {
  const units = unitsOf(job, (part) => Boolean(part.file) && !part.loaded)
  if (ctx.progress) {
    ctx.progress.expect(units.length, unitName(job, units))
    ctx.progress.expectedBytes += units.reduce((sum, u) => sum + u.part.file!.bytes, 0)
  }
  await forEachWithSlot(units, to, async (unit, slot) => {
    const key = tableKey(unit.table.info)
    const started = Date.now()
    const record = unit.part.file!
    try {
      const name = `load ${label(unit)} into ${job.toName}`
      await runUnit(ctx, name, slot, { stage: job.stage, table: key }, (session, attempt) => {
        const part = partOption(unit, job.resumed, attempt)
        return fileToTable(session, unit.table.info, job.dir, record, {
          ...(part ? { part } : {}), ...(ctx.progress ? { progress: ctx.progress } : {}), label: label(unit), through: job.through?.() ?? [],
        })
      })
      await job.durable?.()
      unit.part.loaded = true
      await ctx.manifest.save()
      ctx.log.write({ kind: 'table-done', stage: job.stage, table: key, ...(unit.index > 0 || unit.part.range ? { part: unit.index } : {}), rows: record.rows, bytes: record.bytes, ms: Date.now() - started })
    } catch (error) {
      if (isDrydockError(error) && error.code === 'DD_DUMP_CORRUPT') {
        // Dumped again by the next --resume.
        delete unit.part.file
        delete unit.table.record.dump
        if (job.stage === 'load') delete ctx.manifest.data.stages.dump
        await ctx.manifest.save()
      }
      throw inStage(job.stage, error, key)
    }
  }, ctx.signal)
  await summarize(ctx, job)
}

/** Per table: the files' totals once every part has one, and whether every part is loaded. */
async function summarize(ctx: RunContext, job: MoveJob): Promise<void> {
  for (const { record } of job.tables) {
    const parts = record.parts ?? []
    if (parts.length > 0 && parts.every((p) => p.file)) {
      record.dump = {
        rows: parts.reduce((sum, p) => sum + p.file!.rows, 0),
        bytes: parts.reduce((sum, p) => sum + p.file!.bytes, 0),
        files: parts.length,
      }
    }
    record.loaded = parts.length > 0 && parts.every((p) => p.loaded)
  }
  await ctx.manifest.save()
}
