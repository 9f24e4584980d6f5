/**
 * `npm run bench -- --window`: per engine and scale, on a throwaway production server, each
 * migration in place, through drydock (a real swapped upgrade) and, where the checkout has it,
 * through drydock with a prestage; every run on a fresh copy of the generated database.
 * Writes one JSON result per engine and scale and prints their paths (bench/run.mjs renders).
 *   node --import tsx bench/lib/window/window-bench.ts '{"engines":["pg"],"scales":[0.1],"jobs":2,"work":"bench/.work"}'
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { commitLabel, writeSection } from './window-section.ts'
import { type DrydockWindow, PrestageUnavailable, dropRunFiles, drydockPrestage, drydockUpgrade, hasPrestage } from './drydock-window.ts'
import { type ChangePattern, type MigrationKind, SMALL_TABLE, changeOnePercent, migrationSteps, runInPlace } from './migrations.ts'
import { databaseRows, dropCopy, freshCopy, generateTemplate, tableBytes } from './production-copies.ts'
import { type Engine, type ProductionServer, startProduction } from './production-server.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as {
  engines: Engine[]; scales: number[]; jobs: number; work: string; migrations?: MigrationKind[]; smallTable?: string; changes?: ChangePattern
  /** Keep each production server's data (the generated database) for the next run of that engine and scale. */
  keepProduction?: boolean
  /** bench/results.md: its "window vs in place" section is replaced; the command line shown there. */
  out?: string; command?: string
  /** Result files of earlier runs: only the section is written. */
  fromJson?: string[]
}
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const WORK = resolve(args.work)
const log = (line: string) => process.stderr.write(`[bench window ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
const prestage = hasPrestage(ROOT)
const smallTable = args.smallTable ?? SMALL_TABLE

export interface MigrationResult {
  inPlace: { ms: number; logBytes: number }
  drydock: DrydockWindow
  prestage: (DrydockWindow & { prestageMs: number; rowsChanged: number; refreshMs: number }) | { unavailable: string }
  /** The changed table's size on production before the migration (the one-small-table migration). */
  tableBytes?: number
}

async function oneMigration(server: ProductionServer, kind: MigrationKind, dir: string, loads: { what: string; load: number }[]): Promise<MigrationResult> {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const steps = migrationSteps(kind, server.engine, dir, smallTable)
  const mark = (what: string) => { const load = loadavg()[0]!; loads.push({ what: `${kind}: ${what}`, load }); log(`${server.engine} ${kind}: ${what} (load ${load.toFixed(1)})`) }
  // Each measurement starts after a checkpoint, so full-page writes weigh the same on each side.
  const fresh = async (name: string) => { await freshCopy(server, name); if (server.engine === 'pg') await server.sql('postgres', 'CHECKPOINT') }

  await fresh('dd_w_inplace')
  const size = kind === 'small' ? await tableBytes(server, 'dd_w_inplace', smallTable) : undefined
  mark('in place')
  const before = await server.logBytes()
  const ms = await runInPlace(server, 'dd_w_inplace', steps, join(dir, 'in-place.log'))
  const inPlace = { ms, logBytes: (await server.logBytes()) - before }
  await dropCopy(server, 'dd_w_inplace')

  await fresh('dd_w_drydock')
  mark('drydock upgrade (ephemeral staging, swapped)')
  const drydock = await drydockUpgrade(server, 'dd_w_drydock', steps, args.jobs, join(dir, 'runs'))
  dropRunFiles(drydock.runDir)
  await dropCopy(server, 'dd_w_drydock')

  let staged: MigrationResult['prestage'] = { unavailable: 'not available in this checkout (RunOptions has no prestage)' }
  if (prestage) {
    await fresh('dd_w_prestage')
    mark('drydock prestage, 1 % of rows changed, resume')
    try {
      staged = await drydockPrestage(server, 'dd_w_prestage', steps, args.jobs, join(dir, 'runs-prestage'), () => changeOnePercent(server, 'dd_w_prestage', args.changes ?? 'recent'))
      dropRunFiles(staged.runDir)
    } catch (error) {
      if (!(error instanceof PrestageUnavailable)) throw error
      staged = { unavailable: `not available in this checkout (${error.message})` }
    }
    await dropCopy(server, 'dd_w_prestage')
  }
  return { inPlace, drydock, prestage: staged, ...(size !== undefined ? { tableBytes: size } : {}) }
}

async function serverVersion(server: ProductionServer): Promise<string> {
  const [row] = await server.sql(server.engine === 'pg' ? 'postgres' : 'mysql', server.engine === 'pg' ? 'SHOW server_version' : 'SELECT VERSION() AS v')
  return String(Object.values(row ?? {})[0] ?? '')
}

const files: string[] = args.fromJson ?? []
const commit = commitLabel(ROOT)
for (const scale of args.fromJson ? [] : args.scales) {
  for (const engine of args.engines) {
    const dir = join(WORK, `window-${engine}-s${scale}`)
    mkdirSync(dir, { recursive: true })
    const loads = [{ what: 'start', load: loadavg()[0]! }]
    log(`${engine} scale ${scale}: starting production server (load ${loads[0]!.load.toFixed(1)})`)
    const server = await startProduction(engine, join(dir, 'production'), { reuse: args.keepProduction === true })
    try {
      const t0 = Date.now()
      await generateTemplate(server, scale, log)
      log(`${engine} scale ${scale}: generated in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
      const rows = await databaseRows(server, 'dd_bench_gen')
      const migrations: Partial<Record<MigrationKind, MigrationResult>> = {}
      for (const kind of args.migrations ?? ['patchwork', 'small']) migrations[kind] = await oneMigration(server, kind, join(dir, kind), loads)
      const versions = { [engine === 'pg' ? 'PostgreSQL' : 'MariaDB']: await serverVersion(server), node: process.version }
      const result = { engine, scale, rows, jobs: args.jobs, date: new Date().toISOString(), commit, versions, loads, prestageOption: prestage, smallTable, migrations }
      const file = join(WORK, `window-${engine}-s${scale}.json`)
      writeFileSync(file, JSON.stringify(result, null, 1))
      files.push(file)
    } finally {
      await server.stop({ keep: args.keepProduction === true })
    }
  }
}
if (args.out) {
  writeSection(files, args.out, args.command ?? 'npm run bench -- --window')
  log(`wrote the window section of ${args.out}`)
}
process.stdout.write(`${JSON.stringify(files)}\n`)
process.exit(0)
