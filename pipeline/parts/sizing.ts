import type { RunContext } from '../context.ts'
import { DEFAULT_PART_MB, MAX_PARTS, type PartSizing } from './plan-parts.ts'
import type { Compression } from '../util/file-codec.ts'

const WHOLE: PartSizing = { partBytes: Number.POSITIVE_INFINITY, maxParts: 1 }

/** The size asked for: --part-mb, else config partMB (bytes; undefined when neither is set). */
function askedBytes(ctx: RunContext): number | undefined {
  return ctx.options.partBytes ?? (ctx.config.partMB === undefined ? undefined : ctx.config.partMB * 1024 * 1024)
}

/**
 * How tables are split for copying (dump, load, load back): the size asked for, else the
 * engine's default — 128 MiB on MySQL; whole tables on PostgreSQL, whose loads of a whole
 * table can FREEZE its rows (and skip the WAL on drydock's ephemeral staging), which parts
 * loaded side by side cannot: measured on 2 cores, that costs more than the parts gain
 * (Driver.copyPartMB, bench/results.md).
 */
export function copySizing(ctx: RunContext): PartSizing {
  const asked = askedBytes(ctx)
  if (asked !== undefined) return { partBytes: asked, maxParts: MAX_PARTS }
  const engine = ctx.driver.copyPartMB
  return engine === null ? WHOLE : { partBytes: (engine ?? DEFAULT_PART_MB) * 1024 * 1024, maxParts: MAX_PARTS }
}

/** How tables are split for checksums: the size asked for, else 128 MiB on every engine. */
export function checksumSizing(ctx: RunContext): PartSizing {
  return { partBytes: askedBytes(ctx) ?? DEFAULT_PART_MB * 1024 * 1024, maxParts: MAX_PARTS }
}

/** Direct mode unless --no-direct or config `direct: false`. */
export function directMode(ctx: RunContext): boolean {
  return ctx.options.direct ?? ctx.config.direct
}

/** Dump files compressed or not: --compress, else config `compress`. */
export function compressionOf(ctx: RunContext): Compression {
  return ctx.options.compress ?? ctx.config.compress
}
