import type { CommandLine } from './command-line.ts'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { parseEndpoint } from '../config/endpoint.ts'
import { isDrydockError } from '../errors.ts'
import { compareDatabases } from '../compare/compare-databases.ts'
import { compareSummaryText, writeCompareReport } from '../compare/compare-report.ts'

export interface VerifyArgs {
  left?: string
  right?: string
  locate: boolean
  out?: string
  jobs?: number
  schemas?: string[]
}

/**
 * `--verify --left URL --right URL`: compares two databases table by table. Exit code 0 when
 * equal, 1 when they differ (or on an error, thrown to the caller), 2 for unusable URLs.
 */
export async function verifyCommand(args: VerifyArgs): Promise<number> {
  let left, right
  try {
    left = parseEndpoint(args.left!, '--left')
    right = parseEndpoint(args.right!, '--right')
  } catch (error) {
    if (!isDrydockError(error)) throw error
    process.stderr.write(`drydock: ${error.message}\n`)
    return 2
  }
  if (left.engine !== right.engine) {
    process.stderr.write(`drydock: --left is ${left.engine} and --right is ${right.engine}: only databases of one engine can be compared\n`)
    return 2
  }
  // Sessions are opened on both sides: a modest default keeps two servers' connection slots free.
  const jobs = args.jobs ?? Math.min(availableParallelism(), 4)
  process.stderr.write(`verify: comparing every table of the two databases (${jobs} session(s) a side${args.locate ? ', locating differing rows' : ''})\n`)
  const result = await compareDatabases(left, right, { jobs, locate: args.locate, ...(args.schemas?.length ? { schemas: args.schemas } : {}) })
  let report = ''
  if (args.out) report = `\nreport: ${(await writeCompareReport(resolve(args.out), result)).markdown}`
  process.stdout.write(`${compareSummaryText(result)}${report}\n`)
  return result.verdict === 'equal' ? 0 : 1
}

export function verifyCli(line: CommandLine): Promise<number> {
  const v = line.values
  return verifyCommand({ left: v.left, right: v.right, locate: v.locate, out: v.out, jobs: line.jobs, schemas: v.schema })
}
