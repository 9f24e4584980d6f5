import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunContext } from '../../pipeline/run-state/context.ts'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, onlyRun, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engine-servers.ts'

afterAll(() => removeTempDirs())

/** The ephemeral server's main process: PostgreSQL's postmaster.pid, MariaDB's server.pid beside its data directory. */
function serverPid(engine: string, dataDir: string): number {
  const file = engine === 'postgres' ? join(dataDir, 'postmaster.pid') : join(dirname(dataDir), 'server.pid')
  return Number(readFileSync(file, 'utf8').split('\n')[0]!.trim())
}

// Staging runs without durability (fsync off / no doublewrite, lazy log flush): only because a
// crash of it is detected and the run recovers from the files and checksums, as here.
describe.each(ENGINES)('an ephemeral staging server that dies mid-run on $name', (engine) => {
  const prefix = engine.uniquePrefix('stgdie')
  afterAll(() => engine.dropDatabasesWithPrefix(prefix))

  it('stops the run with the cause after bounded retries, and --resume restarts it and completes', async () => {
    const source = `${prefix}_src`
    await engine.createDatabase(source)
    await engine.sql(source, engine.seedSql(5000))
    const before = await engine.tableDigests(source)
    const config = configIn(tempDir('stgdie'), { source: engine.url(source) })
    const killStaging = (stage: string, ctx: RunContext) => {
      if (stage !== 'load') return
      process.kill(serverPid(engine.name, ctx.ephemeral!.dataDir), 'SIGKILL')
    }
    const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: killStaging }), 'DD_TRANSIENT_EXHAUSTED')
    expect(error.message).toMatch(new RegExp(`failed 4 times on transient errors`))
    expect(error.message).toMatch(new RegExp(`127\\.0\\.0\\.1:\\d+/${source}`))
    expect(error.ctx.hint).toContain(`--resume ${onlyRun(config)}`)
    const result = await resumeUpgrade(onlyRun(config), config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(await engine.tableDigests(source)).toEqual(before)
  }, 300_000)
})
