import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../pipeline/config.ts'
import { resumeUpgrade, runUpgrade } from '../../pipeline/run.ts'
import { expectDrydockError, onlyRun, RUN_OPTIONS } from '../helpers/drydock.ts'
import { createDatabase, dropDatabasesWithPrefix, pgUrl, sql, tableDigests, uniquePrefix } from '../helpers/postgres.ts'

// A small tmpfs as the run directory's disk: root can mount one (CI runs as root).
const prefix = uniquePrefix('disk')
const mountPoint = mkdtempSync(join(tmpdir(), 'dd-disk-'))
const filler = join(mountPoint, 'filler')

beforeAll(() => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint])
})

afterAll(async () => {
  execFileSync('umount', [mountPoint])
  rmSync(mountPoint, { recursive: true, force: true })
  await dropDatabasesWithPrefix(prefix)
})

describe('a disk that fills up while dumping', () => {
  it('stops with DD_DISK_FULL naming the folder, and after space is freed --resume completes', async () => {
    const source = `${prefix}_src`
    await createDatabase(source)
    await sql(source, `CREATE TABLE public.big (id serial PRIMARY KEY, body text);
      INSERT INTO public.big (body) SELECT repeat(md5(i::text), 16) FROM generate_series(1, 15000) i;`)
    const before = await tableDigests(source)
    const config = parseConfig({ source: pgUrl(source), staging: pgUrl(`${source}_stg`), runDir: join(mountPoint, 'runs') }, join(mountPoint, 'upgrade.config.mjs'))
    // The disk fills after pre-flight measured it (another process writing there, say).
    const fill = (stage: string) => { if (stage === 'staging') writeFileSync(filler, Buffer.alloc(20 * 1024 * 1024)) }
    const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: fill }), 'DD_DISK_FULL')
    expect(error.message).toMatch(/^the disk of .*\/dump is full \(writing 0001-public\.big\.copy/)
    expect(error.ctx.hint).toContain('free space there')
    expect(error.ctx.hint).toContain(`--resume ${onlyRun(config)}`)
    rmSync(filler)
    const result = await resumeUpgrade(onlyRun(config), config, RUN_OPTIONS)
    expect(result.report.verdict).toBe('verified')
    expect(await tableDigests(source)).toEqual(before)
  })
})
