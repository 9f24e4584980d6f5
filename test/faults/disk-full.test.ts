import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../pipeline/config/config.ts'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { expectDrydockError, onlyRun, RUN_OPTIONS } from '../helpers/drydock.ts'
import { ENGINES } from '../helpers/engine-servers.ts'

// A small tmpfs as the run directory's disk: root can mount one (CI runs as root).
const mountPoint = mkdtempSync(join(tmpdir(), 'dd-disk-'))
const filler = join(mountPoint, 'filler')

beforeAll(() => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint])
})

afterAll(() => {
  execFileSync('umount', [mountPoint])
  rmSync(mountPoint, { recursive: true, force: true })
})

/** Takes every free byte of the tmpfs (another process writing there, say). */
function fillDisk(): void {
  const { bavail, bsize } = statfsSync(mountPoint)
  try {
    writeFileSync(filler, Buffer.alloc(Number(bavail) * Number(bsize)))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  }
}

for (const engine of ENGINES) {
  describe(`${engine.name}: a disk that fills up`, () => {
    const prefix = engine.uniquePrefix('disk')
    afterAll(() => engine.dropDatabasesWithPrefix(prefix))
    // Each run's files would take the next one's room.
    afterEach(() => { for (const name of ['dump', 'manifest', 'filler']) rmSync(join(mountPoint, name), { recursive: true, force: true }) })

    const configFor = async (name: string) => {
      const source = `${prefix}_${name}`
      await engine.createDatabase(source)
      const table = engine.name === 'postgres' ? 'public.big' : 'big'
      await engine.sql(source, engine.seedSql(15000).replaceAll('item', table.replace('public.', '')).replace(/, 4\)/, ', 16)'))
      const config = parseConfig({ source: engine.url(source), staging: engine.url(`${source}_stg`), runDir: join(mountPoint, name) }, join(mountPoint, 'upgrade.config.mjs'))
      return { source, config, before: await engine.tableDigests(source) }
    }

    it('while dumping: stops with DD_DISK_FULL naming the folder, and after space is freed --resume completes', async () => {
      const { source, config, before } = await configFor('dump')
      // The disk fills after pre-flight measured it.
      const fill = (stage: string) => { if (stage === 'staging') writeFileSync(filler, Buffer.alloc(20 * 1024 * 1024)) }
      const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: fill }), 'DD_DISK_FULL')
      expect(error.message).toMatch(/^the disk of .*\/dump is full \(writing 0001-.*big\./)
      expect(error.ctx.hint).toContain('free space there')
      expect(error.ctx.hint).toContain(`--resume ${onlyRun(config)}`)
      rmSync(filler)
      const result = await resumeUpgrade(onlyRun(config), config, RUN_OPTIONS)
      expect(result.report.verdict).toBe('verified')
      expect(await engine.tableDigests(source)).toEqual(before)
    })

    it('at a manifest write: DD_DISK_FULL, the snapshot sessions on production closed, and --resume completes', async () => {
      const { source, config, before } = await configFor('manifest')
      const fill = (stage: string) => { if (stage === 'snapshot') fillDisk() }
      const error = await expectDrydockError(runUpgrade(config, { ...RUN_OPTIONS, afterStage: fill }), 'DD_DISK_FULL')
      expect(error.message).toBe(`the disk of ${onlyRun(config)} is full (writing manifest.json)`)
      expect(error.ctx.hint).toContain(`--resume ${onlyRun(config)}`)
      expect(await engine.sessionsInTransaction(source)).toBe(0)
      rmSync(filler)
      const result = await resumeUpgrade(onlyRun(config), config, RUN_OPTIONS)
      expect(result.report.verdict).toBe('verified')
      expect(await engine.tableDigests(source)).toEqual(before)
    })
  })
}
