import type { Driver } from '../drivers/driver.ts'
import type { RunContext } from '../run-state/context.ts'
import { DEFAULT_PART_MB, MAX_PARTS, type PartSizing } from './plan-parts.ts'
import type { Compression } from './file-codec.ts'
import { idleBoundPartBytes, MAX_IDLE_BOUND_PARTS } from '../safety/faults/silent-statements.ts'

const WHOLE: PartSizing = { partBytes: Number.POSITIVE_INFINITY, maxParts: 1 }

/** The size asked for: --part-mb, else config partMB (bytes; undefined when neither is set). */
function askedBytes(ctx: RunContext): number | undefined {
  return ctx.options.partBytes ?? (ctx.config.partMB === undefined ? undefined : ctx.config.partMB * 1024 * 1024)
}

/**
 * How tables are split for copying (dump, load, load back): the size asked for, else 128 MiB —
 * except that an engine whose whole-table loads are cheaper (Driver.copyPartMB null:
 * PostgreSQL, COPY FREEZE and no WAL on ephemeral staging) copies tables whole with 2 workers
 * or fewer: one stream (a reading backend, drydock, a writing backend) already keeps two cores
 * busy, so parts gain no parallelism there and only lose the cheaper load (bench/results.md).
 */
export function copySizing(ctx: RunContext): PartSizing {
  const asked = askedBytes(ctx)
  if (asked !== undefined) return { partBytes: asked, maxParts: MAX_PARTS }
  if (copiesTablesWhole(ctx.driver, asked, ctx.options.jobs)) return WHOLE
  return { partBytes: (ctx.driver.copyPartMB ?? DEFAULT_PART_MB) * 1024 * 1024, maxParts: MAX_PARTS }
}

/** Whether tables are copied whole, not in parts (copySizing); `--plan` asks it too. */
export function copiesTablesWhole(driver: Pick<Driver, 'copyPartMB'>, askedBytes: number | undefined, jobs: number): boolean {
  return askedBytes === undefined && driver.copyPartMB === null && jobs <= 2
}

/**
 * How tables are split for checksums: the size asked for, else 128 MiB on every engine — and
 * never more than a scan under half the idle limit (a checksum sends nothing until its part is
 * done, and a proxy cuts a silent connection: pipeline/safety/faults/silent-statements.ts).
 */
export function checksumSizing(ctx: RunContext): PartSizing {
  return checksumSizingFor(askedBytes(ctx) ?? DEFAULT_PART_MB * 1024 * 1024, ctx.config.idleLimitSeconds)
}

export function checksumSizingFor(askedBytes: number, idleLimitSeconds: number): PartSizing {
  const bound = idleBoundPartBytes(idleLimitSeconds)
  return bound < askedBytes ? { partBytes: bound, maxParts: MAX_IDLE_BOUND_PARTS } : { partBytes: askedBytes, maxParts: MAX_PARTS }
}

/** Direct mode unless --no-direct or config `direct: false`. */
export function directMode(ctx: RunContext): boolean {
  return ctx.options.direct ?? ctx.config.direct
}

/** Dump files compressed or not: --compress, else config `compress`. */
export function compressionOf(ctx: RunContext): Compression {
  return ctx.options.compress ?? ctx.config.compress
}
