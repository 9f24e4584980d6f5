import { generatePatchwork } from './fixtures/patchwork/generate.ts'
import { patchworkSteps, PATCHWORK_EXPECTATIONS } from './fixtures/patchwork/upgrades.ts'
import { parseConfig } from './pipeline/config.ts'
import { runUpgrade } from './pipeline/run.ts'
const engine = (process.argv[2] ?? 'postgres') as 'postgres' | 'mysql'
const scale = Number(process.argv[3] ?? 0.02)
const variant = (process.argv[4] ?? 'transform') as 'sql' | 'transform'
const gen = process.argv[5] !== 'nogen'
const url = (db: string) => engine === 'postgres' ? `postgres://postgres@127.0.0.1:5432/${db}` : `mysql://root@127.0.0.1:3306/${db}`
const pre = engine === 'postgres' ? 'dd_t_try' : 'dd_m_try'
if (gen) await generatePatchwork({ engine, url: url(`${pre}_src`), scale, log: (m) => console.error(m) })
const config = parseConfig({ source: url(`${pre}_src`), staging: url(`${pre}_stg_${variant}`), runDir: '/tmp/ddsmoke/runs', migrate: patchworkSteps(engine, variant), expect: PATCHWORK_EXPECTATIONS }, '/tmp/ddsmoke/x.config.mjs')
const t0 = Date.now()
const r = await runUpgrade(config, { yes: true, keepStaging: false, jobs: 2, rehearse: true })
console.log(r.report.verdict, Date.now() - t0, 'ms', r.runDir)
console.log(JSON.stringify({ steps: r.report.steps.map((s) => [s.name, s.ms, s.transform?.rowsIn, s.transform?.rowsOut]), stages: r.report.stages, exp: r.report.expectations.map((e) => [e.name, e.found, e.expected, e.ok]) }, null, 1))
console.log(r.report.carryOver.map((c) => `${c.table} ${c.status}`).join('\n'))
console.log('HOP2', JSON.stringify(Object.fromEntries(r.report.hop2.tables.map((t) => [t.table.replace(/^[^.]*\./, ''), t.staging?.digest]))))
