import { resolve } from 'node:path'
import { MAX_SAMPLE, sampleTransform } from '../migration/transform/sample.ts'
import type { CommandLine } from './command-line.ts'
import { commandConfig } from './command-config.ts'

/** `--sample N --transform FILE`: both needed; returns the exit code. */
export async function sampleCli(line: CommandLine): Promise<number> {
  const { sample, transform } = line.values
  const n = Number(sample)
  if (sample === undefined || transform === undefined || !Number.isSafeInteger(n) || n < 1 || n > MAX_SAMPLE) {
    process.stderr.write(`drydock: --sample N and --transform FILE go together (N from 1 to ${MAX_SAMPLE})\n`)
    return 2
  }
  await sampleTransform(await commandConfig(line), resolve(transform), n)
  return 0
}
