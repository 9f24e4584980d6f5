import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { resumeUpgrade } from '../../pipeline/commands/resume-command.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, expectDrydockError, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databasesWithPrefix, dropDatabasesWithPrefix, pgUrl, schemaDump, sql, tableDigests, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('from')

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

async function seed(name: string): Promise<void> {
  await createDatabase(name)
  await sql(name, `CREATE TABLE public.item (id serial PRIMARY KEY, label text);
    INSERT INTO public.item (label) SELECT md5(i::text) FROM generate_series(1, 3000) i;`)
}

for (const staging of ['url', 'ephemeral'] as const) {
  describe(`rehearsing the migration again from the checkpoint (${staging} staging)`, () => {
    it('reruns only the migration and what follows, on staging as it was after hop 1, as often as asked', async () => {
      const source = `${prefix}_${staging}`
      await seed(source)
      const schemaBefore = await schemaDump(source)
      const dataBefore = await tableDigests(source)
      const dir = tempDir(`from-${staging}`)
      writeFile(dir, 'up.sql', 'ALTER TABLE public.item ADD COLUMN v1 int DEFAULT 1')
      const config = configIn(dir, {
        source: pgUrl(source), staging: staging === 'url' ? pgUrl(`${source}_stg`) : 'ephemeral', migrate: [{ sql: 'up.sql' }],
      })
      const first = await runUpgrade(config, { ...RUN_OPTIONS, rehearse: true })
      expect(first.report.verdict).toBe('verified')
      expect(readManifest(first.runDir).checkpoint?.kind).toBe(staging === 'url' ? 'database-copy' : 'data-directory')

      // A new version of the migration: ADD COLUMN v1 again would fail if staging were not restored.
      writeFile(dir, 'up.sql', 'ALTER TABLE public.item ADD COLUMN v1 int DEFAULT 2')
      for (let round = 1; round <= 2; round++) {
        const again = await resumeUpgrade(first.runDir, config, { ...RUN_OPTIONS, from: 'migrate' })
        expect(again.report.verdict).toBe('verified')
        expect(again.report.hop2.verified).toBe(1)
      }
      const events = readFileSync(join(first.runDir, 'logs', 'events.jsonl'), 'utf8')
      expect(events.match(/"kind":"stage-skip","stage":"dump"/g)).toHaveLength(2)
      expect(events.match(/staging restored from the/g)).toHaveLength(2)
      expect(await schemaDump(source)).toBe(schemaBefore)
      expect(await tableDigests(source)).toEqual(dataBefore)
      expect((await databasesWithPrefix(`${source}_`)).filter((d) => d.includes('_dd_shadow_'))).toEqual([])
    })
  })
}

describe('--from migrate without a checkpoint', () => {
  it('rebuilds staging from the dump files (ephemeral staging kept after the failure), checked against hop 1', async () => {
    const source = `${prefix}_nock`
    await seed(source)
    const dataBefore = await tableDigests(source)
    const dir = tempDir('from-nock')
    writeFile(dir, 'up.sql', 'ALTER TABLE public.item ADD COLUMN v1 int DEFAULT 1')
    const config = configIn(dir, { source: pgUrl(source), staging: 'ephemeral', migrate: [{ sql: 'up.sql' }, { command: 'exit 1' }] })
    await expectDrydockError(runUpgrade(config, RUN_OPTIONS), 'DD_MIGRATION_FAILED')
    const runDir = join(config.runDir, readdirSync(config.runDir)[0]!)
    expect(readManifest(runDir).checkpoint).toBeUndefined()
    const fixed = configIn(dir, { source: pgUrl(source), staging: 'ephemeral', migrate: [{ sql: 'up.sql' }, { command: 'true' }] })
    const again = await resumeUpgrade(runDir, fixed, { ...RUN_OPTIONS, from: 'migrate' })
    expect(again.report.verdict).toBe('verified')
    expect(readFileSync(join(runDir, 'logs', 'events.jsonl'), 'utf8')).toMatch(/staging restored from the dump files \(no checkpoint kept\) in \d+ ms, verified against hop 1/)
    expect(Object.keys(await tableDigests(source))).toEqual(Object.keys(dataBefore))
    expect(await sql(source, 'SELECT count(*) AS n, sum(v1) AS s FROM public.item')).toEqual([{ n: '3000', s: '3000' }])
  })
})
