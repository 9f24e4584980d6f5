import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { planUpgrade } from '../../pipeline/plan/plan.ts'
import { planText } from '../../pipeline/plan/plan-text.ts'
import { runUpgrade } from '../../pipeline/commands/run-command.ts'
import { configIn, readManifest, removeTempDirs, RUN_OPTIONS, tempDir, writeFile } from '../helpers/drydock.ts'
import { createDatabase, databasesWithPrefix, dropDatabasesWithPrefix, pgUrl, schemaDump, sql, tableDigests, uniquePrefix } from '../helpers/postgres.ts'

const prefix = uniquePrefix('plan')
const source = `${prefix}_src`
let dir: string

beforeAll(async () => {
  await createDatabase(source)
  await sql(source, `CREATE TABLE public.big (id serial PRIMARY KEY, body text);
    INSERT INTO public.big (body) SELECT repeat(md5(i::text), 10) FROM generate_series(1, 5000) i;
    CREATE TABLE public.session (id serial PRIMARY KEY, data text); INSERT INTO public.session (data) VALUES ('x');`)
  dir = tempDir('plan')
  writeFile(dir, 'up.sql', 'ALTER TABLE public.big ADD COLUMN flag boolean DEFAULT true')
})

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix)
  removeTempDirs()
})

const config = () => configIn(dir, {
  source: pgUrl(source), staging: pgUrl(`${source}_stg`), migrate: [{ sql: 'up.sql' }],
  tables: { exclude: ['session'] }, hooks: { beforeSnapshot: `touch ${join(dir, 'hook-ran')}` },
})

describe('--plan', () => {
  it('lists tables, steps, disk and estimates from a read sample, and writes nothing', async () => {
    const plan = await planUpgrade(config(), 2)
    expect(plan.tables.map((t) => [t.table, t.carried])).toEqual([['public.big', true], ['public.session', false]])
    expect(plan.steps).toEqual([{ index: 1, name: 'up.sql', kind: 'sql' }])
    // On a busy machine the sample says it cannot be trusted and a modest speed is assumed.
    expect(plan.basis).toMatch(/MB\/s read sample of public\.big|^no trustworthy read sample \(the machine was busy/)
    // Before any rehearsal every estimate is a range of a factor of 2 either way.
    const dump = plan.stages.find((s) => s.stage === 'dump')!
    expect([dump.low, dump.high]).toEqual([dump.seconds! / 2, dump.seconds! * 2])
    expect(plan.stages.map((s) => s.stage)).toEqual(['pre-flight', 'snapshot', 'staging', 'dump', 'load', 'verify-hop1', 'migrate', 'loadback', 'verify-hop2', 'swap', 'report'])
    expect(plan.stages.find((s) => s.stage === 'migrate')).toEqual({ stage: 'migrate', seconds: null, note: 'unknown until rehearsed' })
    expect(plan.disk.map((d) => d.place)).toEqual(['run directory: dump + migrated files', 'staging database', 'shadow database on the production server'])
    const text = planText(plan)
    expect(text).toContain('left out (travels empty)')
    expect(text).toContain('plus the migration steps')
    expect(existsSync(join(dir, 'runs'))).toBe(false)
    expect(await databasesWithPrefix(`${source}_`)).toEqual([])
  })
})

describe('--rehearse', () => {
  it('runs every stage but never swaps production, drops the shadow and runs no hook', async () => {
    const schemaBefore = await schemaDump(source)
    const dataBefore = await tableDigests(source)
    const result = await runUpgrade(config(), { ...RUN_OPTIONS, rehearse: true })
    expect(result.report.verdict).toBe('verified')
    expect(result.report.hop2.verified).toBe(2)
    expect(readManifest(result.runDir).mode).toBe('rehearsal')
    // rehearsalTarget's default: the copy went to a second database on the staging server.
    expect(readManifest(result.runDir).target.rehearsal).toMatchObject({ kind: 'staging', endpoint: expect.stringContaining(`${source}_dd_shadow_`) })
    expect(result.report.swap).toBeNull()
    expect(await schemaDump(source)).toBe(schemaBefore)
    expect(await tableDigests(source)).toEqual(dataBefore)
    // Only the staging checkpoint stays, for `--resume RUN --from migrate`.
    expect(await databasesWithPrefix(`${source}_`)).toEqual([readManifest(result.runDir).checkpoint!.location])
    expect(existsSync(join(dir, 'hook-ran'))).toBe(false)
    expect(readFileSync(join(result.runDir, 'logs', 'events.jsonl'), 'utf8')).toContain('rehearsal: hook beforeSnapshot not run')
  })

  it('then feeds the plan its measured timings', async () => {
    const plan = await planUpgrade(config(), 2)
    expect(plan.basis).toMatch(/^rehearsal \d{8}-\d{6}, scaled ×1\.00 by data size$/)
    expect(plan.stages.map((s) => s.stage)).toEqual(['pre-flight', 'snapshot', 'staging', 'dump', 'load', 'verify-hop1', 'migrate', 'loadback', 'verify-hop2', 'swap', 'report'])
    expect(plan.stages.every((s) => typeof s.seconds === 'number')).toBe(true)
    // The rehearsal's swap stage only dropped its copy: the plan counts a rename instead.
    expect(plan.stages.find((s) => s.stage === 'swap')).toMatchObject({ seconds: 1, note: 'a rename (the rehearsal only dropped its copy)' })
    const load = plan.stages.find((s) => s.stage === 'load')!
    expect(load.low).toBeCloseTo(load.seconds! * 0.85)
    expect(planText(plan)).toMatch(/Maintenance window: about [\d.]+ s \([\d.]+ s – [\d.]+ s\)/)
  })
})
