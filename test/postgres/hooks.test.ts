import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../pipeline/config/config.ts'
import { DrydockError } from '../../pipeline/errors.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, readReport, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databasesWithPrefix, dropDatabasesWithPrefix, pgUrl, sql, tableDigests, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('hooks')

async function seed(name: string): Promise<void> {
  await createDatabase(name)
  await sql(name, 'CREATE TABLE public.item (id serial PRIMARY KEY, label text); INSERT INTO public.item (label) SELECT md5(i::text) FROM generate_series(1, 200) i')
}

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

describe('maintenance hooks', () => {
  const source = `${prefix}_ok`
  let dir: string
  let runDir: string

  beforeAll(async () => {
    await seed(source)
    dir = tempDir('hooks-ok')
    writeFile(dir, 'up.sql', 'ALTER TABLE public.item ADD COLUMN flag boolean DEFAULT false')
    const trace = join(dir, 'trace.txt')
    const hook = (point: string) => `echo "${point} $DRYDOCK_HOOK $DRYDOCK_RUN_ID" >> ${trace}`
    const config = configIn(dir, {
      source: pgUrl(source),
      staging: pgUrl(`${source}_stg`),
      migrate: [{ sql: 'up.sql' }],
      hooks: { beforeSnapshot: hook('1'), afterMigrate: hook('2'), beforeSwap: hook('3'), afterSwap: hook('4'), onFailure: hook('x') },
    })
    runDir = (await runUpgrade(config, RUN_OPTIONS)).runDir
  })

  it('run in order at their points, in the config folder, with the run in their environment', () => {
    const runId = runDir.split('/').pop()
    expect(readFileSync(join(dir, 'trace.txt'), 'utf8')).toBe(
      `1 beforeSnapshot ${runId}\n2 afterMigrate ${runId}\n3 beforeSwap ${runId}\n4 afterSwap ${runId}\n`)
  })

  it('keep their output in the run directory', () => {
    expect(readFileSync(join(runDir, 'hooks', 'beforeSnapshot.log'), 'utf8')).toBe('')
  })
})

describe('a failing hook', () => {
  it('before the swap stops the run with production as it was, and runs onFailure', async () => {
    const source = `${prefix}_fail`
    await seed(source)
    const before = await tableDigests(source)
    const dir = tempDir('hooks-fail')
    writeFile(dir, 'up.sql', 'ALTER TABLE public.item ADD COLUMN flag boolean DEFAULT false')
    const config = configIn(dir, {
      source: pgUrl(source),
      staging: pgUrl(`${source}_stg`),
      migrate: [{ sql: 'up.sql' }],
      hooks: { beforeSwap: 'echo smoke test failed >&2; exit 4', onFailure: `echo "$DRYDOCK_ERROR" > ${join(dir, 'failure.txt')}` },
    })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_HOOK_FAILED')
    expect(error.message).toContain('hook beforeSwap')
    expect(error.message).toContain('exited with code 4')
    expect(error.message).toContain('smoke test failed')
    expect(error.ctx.hint).toContain('the live database was not swapped')
    expect(await tableDigests(source)).toEqual(before)
    expect(await databasesWithPrefix(`${source}_dd_`)).toEqual([])
    expect(readFileSync(join(dir, 'failure.txt'), 'utf8')).toMatch(/^DD_HOOK_FAILED: hook beforeSwap/)
  })

  it('after the swap keeps the verified verdict and says how to roll back', async () => {
    const source = `${prefix}_after`
    await seed(source)
    const dir = tempDir('hooks-after')
    const config = configIn(dir, { source: pgUrl(source), staging: pgUrl(`${source}_stg`), hooks: { afterSwap: 'exit 1' }, keepLive: false })
    const error = await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_HOOK_FAILED')
    expect(error.ctx.hint).toContain('--rollback')
    const runDir = /run directory: (.*)\)$/.exec(error.ctx.hint ?? '')?.[1]
    expect(runDir).toBeDefined()
    expect(readReport(runDir!).verdict).toBe('verified')
    expect(await databasesWithPrefix(`${source}_dd_backup_`)).toHaveLength(1)
  })
})

describe('hooks config', () => {
  it('rejects unknown points and empty commands', () => {
    expect(() => parseConfig({ source: pgUrl('x'), hooks: { beforeSnap: 'x', afterSwap: '' } }, '/tmp/c.mjs')).toThrow(DrydockError)
    expect(() => parseConfig({ source: pgUrl('x'), hooks: { beforeSnap: 'x' } }, '/tmp/c.mjs'))
      .toThrow('Unknown option hooks.beforeSnap: expected one of beforeSnapshot, afterMigrate, beforeSwap, afterSwap, onFailure')
  })
})
