import type { RunContext } from '../context.ts'
import { DEFAULT_PART_MB, MAX_PARTS, type PartSizing } from './plan-parts.ts'
import type { Compression } from '../util/file-codec.ts'

/** The run's part size: --part-mb, else config partMB, else 128 MiB. */
export function partSizing(ctx: RunContext): PartSizing {
  const bytes = ctx.options.partBytes ?? (ctx.config.partMB ?? DEFAULT_PART_MB) * 1024 * 1024
  return { partBytes: bytes, maxParts: MAX_PARTS }
}

/** Direct mode unless --no-direct or config `direct: false`. */
export function directMode(ctx: RunContext): boolean {
  return ctx.options.direct ?? ctx.config.direct
}

/** Dump files compressed or not: --compress, else config `compress`. */
export function compressionOf(ctx: RunContext): Compression {
  return ctx.options.compress ?? ctx.config.compress
}
