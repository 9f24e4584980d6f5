import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunContext } from '../../pipeline/context.ts'
import { resumeUpgrade, runUpgrade } from '../../pipeline/run.ts'
import { configIn, expectDrydockError, onlyRun, removeTempDirs, RUN_OPTIONS, tempDir } from '../helpers/drydock.ts'
import { createDatabase, dropDatabasesWithPrefix, pgUrl, sql, tableDigests, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('stgdie')

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('an ephemeral staging server that dies mid-run', () => {
  it('stops the run with the cause after bounded retries, and --resume restarts it and completes', async () => {
    const source = `${prefix}_src`
    await createDatabase(source)
    await sql(source, `CREATE TABLE public.item (id serial PRIMARY KEY, label text);
      INSERT INTO public.item (label) SELECT md5(i::text) FROM generate_series(1, 5000) i;`)
    const before = await tableDigests(source)
    const config = configIn(tempDir('stgdie'), { source: pgUrl(source) })
    const killStaging = (stage: string, ctx: RunContext) => {
      if (stage !== 'load') return
      const pid = Number(readFileSync(join(ctx.ephemeral!.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
      process.kill(pid, 'SIGKILL')
    }
    const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: killStaging }), 'DD_TRANSIENT_EXHAUSTED')
    expect(error.message).toMatch(new RegExp(`^connect to postgres://postgres@127\\.0\\.0\\.1:\\d+/${source} failed 4 times on transient errors`))
    expect(error.ctx.hint).toContain(`--resume ${onlyRun(config)}`)
    const result = await resumeUpgrade(onlyRun(config), config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(await tableDigests(source)).toEqual(before)
  })
})
