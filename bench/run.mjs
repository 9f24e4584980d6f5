#!/usr/bin/env zx
// `npm run bench [-- --scale 1 | --scales 1,4] [--engine pg|mysql|both] [--jobs N]
//                   [--staging url|ephemeral] [--regen] [--skip-anchors] [--profile] [--keep-data]`
// drydock against the tools DBAs use, on the same Patchwork-shaped data, in one run: stage
// times, MB/s, rows/s, peak RSS, ratios; a table on stdout and bench/results.md. Not part of
// npm test. See bench/README.md.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checksumSql, dumpRestore, pgcopydbClone, pgTables, rawCopy } from './lib/anchors-pg.mjs'
import { checksumSqlMysql, mydumperLoader, mysqldumpPipe, mysqlTables, ptTableChecksum } from './lib/anchors-mysql.mjs'
import { startSampler, windows } from './lib/cpu-sampler.mjs'
import { topFunctions } from './lib/cpuprofile-top.mjs'
import { counts as mysqlCounts, dropMysql, generateMysql, myUrl, mysqlCli } from './lib/generate-mysql.mjs'
import { dropPg, generatePg, pgUrl, psql } from './lib/generate-pg.mjs'
import { must, q, runTimed } from './lib/sh.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// --tree DIR runs drydock from another checkout (before/after comparisons); anchors are the same.
const TREE = argv.tree ?? ROOT
const OUT = argv.out ?? join(ROOT, 'bench', 'results.md')
const WORK = join(ROOT, 'bench', '.work')
const scales = String(argv.scales ?? argv.scale ?? '1').split(',').map(Number).filter((n) => n > 0)
const engines = { pg: ['pg'], postgres: ['pg'], mysql: ['mysql'], mariadb: ['mysql'], both: ['pg', 'mysql'] }[argv.engine ?? 'both']
const jobs = Number(argv.jobs ?? availableParallelism())
const stagingKind = argv.staging ?? 'url'
const log = (line) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
if (!engines || scales.length === 0) {
  process.stderr.write('usage: npm run bench -- [--scale 1 | --scales 1,4] [--engine pg|mysql|both] [--jobs N] [--staging url|ephemeral]\n')
  process.exit(2)
}

if (argv.window) {
  // --window: drydock's window against the same migration in place, on throwaway production
  // servers (bench/lib/window/, bench/README.md "Window vs in place"); no anchors, no rehearsal.
  const options = {
    engines, scales, jobs, work: WORK, out: OUT, command: `npm run bench -- ${process.argv.slice(3).join(' ')}`,
    ...(argv.migrations ? { migrations: String(argv.migrations).split(',') } : {}), ...(argv['small-table'] ? { smallTable: String(argv['small-table']) } : {}), ...(argv.changes ? { changes: String(argv.changes) } : {}),
    ...(argv['keep-production'] ? { keepProduction: true } : {}),
    ...(argv['from-json'] ? { fromJson: String(argv['from-json']).split(',') } : {}),
  }
  await $({ cwd: ROOT, stdio: 'inherit' })`node --import tsx bench/lib/window/window-bench.ts ${JSON.stringify(options)}`
  process.exit(0)
}

/** apt-get what the anchors need, once (Debian packages). */
async function ensureTools() {
  const need = []
  const has = (bin) => existsSync(bin) || existsSync(`/usr/bin/${bin}`) || existsSync(`/usr/sbin/${bin}`)
  if (!has('/usr/bin/time')) need.push('time')
  if (engines.includes('pg') && !has('pgcopydb')) need.push('pgcopydb')
  if (engines.includes('mysql') && (!has('mydumper') || !has('myloader'))) need.push('mydumper')
  if (engines.includes('mysql') && !has('pt-table-checksum')) need.push('percona-toolkit')
  if (need.length === 0) return
  log(`installing ${need.join(' ')} (apt-get)`)
  await $`apt-get update -qq`
  await $({ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get install -y -qq ${need}`
}

async function versions() {
  const v = async (cmd) => (await runTimed(cmd)).stdout.trim().split('\n')[0] ?? ''
  return {
    node: process.version,
    postgres: await v(`${psql('postgres', '-At')} -c 'SHOW server_version'`),
    mariadb: await v(`${mysqlCli('', '-N -B')} -e 'SELECT VERSION()'`),
    pgcopydb: (await v('pgcopydb --version 2>&1 | grep -o "version [^ ]*"')).replace('version ', ''),
    pg_dump: await v('pg_dump --version'),
    mydumper: await v('mydumper --version'),
    percona: await v('pt-table-checksum --version'),
  }
}

/** Reuses a bench database of the right scale (same row counts), else generates it. */
async function ensureData(engine, scale) {
  const db = `dd_bench_${engine === 'pg' ? 'pg' : 'my'}_s${String(scale).replace('.', '_')}`
  const c = mysqlCounts(scale)
  const expected = `${c.submissions} ${c.checks}`
  const probe = engine === 'pg'
    ? await runTimed(`${psql(db, '-At')} -c 'SELECT (SELECT count(*) FROM patchwork_submission) || $$ $$ || (SELECT count(*) FROM patchwork_check)'`)
    : await runTimed(`${mysqlCli(db, '-N -B')} -e 'SELECT CONCAT((SELECT COUNT(*) FROM patchwork_submission), " ", (SELECT COUNT(*) FROM patchwork_check))'`)
  if (!argv.regen && probe.code === 0 && probe.stdout.trim() === expected) {
    log(`${engine} scale ${scale}: reusing ${db}`)
    return db
  }
  log(`${engine} scale ${scale}: generating ${db}`)
  const started = Date.now()
  if (engine === 'pg') await generatePg(db, scale, log)
  else await generateMysql(db, scale, log)
  log(`${engine} scale ${scale}: ${db} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return db
}

/** drydock's rehearsal in a child process (its own peak RSS), with the CPU split sampled per stage. */
async function drydockRun(engine, db, profileDir) {
  const runDir = join(WORK, 'runs')
  rmSync(runDir, { recursive: true, force: true })
  const url = engine === 'pg' ? pgUrl : myUrl
  const stagingDb = `${db}_stg`
  if (engine === 'pg') await dropPg(stagingDb)
  else await dropMysql(stagingDb)
  const tuning = {
    ...(argv['part-mb'] !== undefined ? { partMB: Number(argv['part-mb']) } : {}), ...(argv['no-direct'] ? { direct: false } : {}),
    // --touch TABLE: the migration adds a column to that table (the rest is left alone).
    ...(argv.touch ? { touch: String(argv.touch) } : {}), ...(argv.compress ? { compress: String(argv.compress) } : {}),
  }
  const args = JSON.stringify({ source: url(db), staging: stagingKind === 'url' ? url(stagingDb) : 'ephemeral', jobs, runDir, ...tuning })
  const node = ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), 'bench/lib/drydock-run.ts', args]
  const child = spawn(process.execPath, node, { cwd: TREE, stdio: ['ignore', 'pipe', 'pipe'] })
  const sampler = startSampler({ nodePid: () => child.pid })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20_000) })
  const code = await new Promise((resolve) => child.on('close', resolve))
  const samples = sampler.stop()
  if (code !== 0) throw new Error(`drydock run failed:\n${stderr.slice(-4000)}`)
  const result = JSON.parse(stdout.trim().split('\n').at(-1))
  const starts = result.stageEvents.filter((e) => e.kind === 'stage-start')
  const spans = starts.map((s) => {
    const done = result.stageEvents.find((e) => e.kind === 'stage-done' && e.stage === s.stage)
    return { name: s.stage, from: Date.parse(s.at), to: Date.parse(done?.at ?? s.at) }
  })
  result.cpu = windows(samples, spans)
  rmSync(runDir, { recursive: true, force: true })
  // A rehearsal keeps its staging checkpoint (a copy of staging beside it, on PostgreSQL with a staging URL).
  if (engine === 'pg') {
    const left = await runTimed(`${psql('postgres', '-At')} -c ${q(`SELECT datname FROM pg_database WHERE left(datname, ${stagingDb.length + 9}) = '${stagingDb}_dd_ckpt_'`)}`)
    for (const name of left.stdout.trim().split('\n').filter(Boolean)) await dropPg(name)
  }
  return result
}

async function drydockChecksum(engine, db) {
  const url = engine === 'pg' ? pgUrl(db) : myUrl(db)
  const out = await $({ cwd: TREE, quiet: true })`node --import tsx bench/lib/drydock-checksum.ts ${JSON.stringify({ url, jobs })}`
  return JSON.parse(out.stdout.trim().split('\n').at(-1))
}

/**
 * Waits (up to --quiet-wait seconds, default 300) until the machine's 1-minute load average is
 * under --quiet-load (default: half the cores), so that other work on a shared machine skews a
 * measurement less. The load at the start of each measurement is recorded either way.
 */
async function quiet(what) {
  const limit = Number(argv['quiet-load'] ?? cpus().length / 2)
  const deadline = Date.now() + 1000 * Number(argv['quiet-wait'] ?? 300)
  while (loadavg()[0] > limit && Date.now() < deadline) await sleep(5000)
  const load = loadavg()[0]
  log(`${what} (load ${load.toFixed(1)})`)
  return load
}

const sec = (ms) => (ms ?? 0) / 1000
const sum = (o, names) => names.reduce((a, n) => a + sec(o[n]), 0)

async function benchEngine(engine, scale) {
  const db = await ensureData(engine, scale)
  const r = { engine, scale, db, rows: 0, bytes: 0, drydock: {}, anchors: {}, checksums: {}, load: [loadavg()[0]], loads: [] }
  const mark = async (what) => { r.loads.push({ what, load: await quiet(`${engine} s${scale}: ${what}`) }) }
  await mark(`drydock rehearsal (jobs ${jobs}, staging ${stagingKind})`)
  const profileDir = argv.profile ? join(WORK, `profile-${engine}-s${scale}`) : undefined
  if (profileDir) { rmSync(profileDir, { recursive: true, force: true }); mkdirSync(profileDir, { recursive: true }) }
  const run = await drydockRun(engine, db, profileDir)
  if (run.verdict !== 'verified') throw new Error(`drydock verdict ${run.verdict}`)
  r.rows = run.rows
  r.bytes = run.bytes
  r.drydock = run
  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'))
    if (file) r.profile = topFunctions(join(profileDir, file))
  }
  await mark(`drydock checksum of the source`)
  const own = await drydockChecksum(engine, db)
  r.checksums.drydock = own.seconds
  r.checksums.each = own.each
  // --anchor-scales 1: the anchors only at those scales (they take long on big data).
  const anchorScales = argv['anchor-scales'] === undefined ? undefined : String(argv['anchor-scales']).split(',').map(Number)
  if (!argv['skip-anchors'] && (!anchorScales || anchorScales.includes(scale))) {
    mkdirSync(WORK, { recursive: true })
    if (engine === 'pg') {
      const tables = await pgTables(db)
      await mark(`raw COPY pipes`)
      r.anchors.rawCopy = await rawCopy(db, jobs, tables)
      await mark(`pg_dump -Fd -j ${jobs} + pg_restore -j ${jobs}`)
      r.anchors.dumpRestore = await dumpRestore(db, jobs, WORK)
      await mark(`pgcopydb clone`)
      r.anchors.pgcopydb = await pgcopydbClone(db, jobs, WORK)
      await mark(`checksum SQL`)
      Object.assign(r.checksums, await checksumSql(db, jobs, tables))
    } else {
      const tables = await mysqlTables(db)
      await mark(`mysqldump | mysql`)
      r.anchors.mysqldump = await mysqldumpPipe(db)
      await mark(`mydumper + myloader`)
      r.anchors.mydumper = await mydumperLoader(db, jobs, WORK)
      await mark(`pt-table-checksum`)
      r.checksums.pt = await ptTableChecksum(db)
      Object.assign(r.checksums, await checksumSqlMysql(db, jobs, tables))
    }
  }
  r.load.push(loadavg()[0])
  if (!argv['keep-data'] && scale !== scales[0]) {
    // Larger scales take a lot of disk; the first scale is kept for the next run.
    if (engine === 'pg') await dropPg(db)
    else await dropMysql(db)
  }
  return r
}

/** Seconds of the load stage until its last table's rows were in (before post-data, sequences, ANALYZE). */
function loadDataSeconds(r) {
  const start = r.drydock.stageEvents.find((e) => e.kind === 'stage-start' && e.stage === 'load')
  const ends = r.drydock.tableEvents.filter((e) => e.stage === 'load').map((e) => Date.parse(e.at))
  return start && ends.length ? (Math.max(...ends) - Date.parse(start.at)) / 1000 : sec(r.drydock.stages.load)
}

/** The rows of the results table for one engine and scale. */
function rowsOf(r) {
  const s = r.drydock.stages
  const copyStages = ['snapshot', 'staging', 'dump', 'load', 'verify-hop1']
  // A rehearsal keeps a staging checkpoint (taken inside verify-hop1); a real run does not by
  // default and the anchors never do: it is left out of the copy and counted apart.
  const checkpoint = (r.drydock.checkpointMs ?? 0) / 1000
  const copy = sum(s, copyStages) - checkpoint
  const round = sum(s, Object.keys(s))
  const line = (what, seconds, extra = {}) => ({ what, seconds, mbps: seconds ? r.bytes / 1e6 / seconds : null, rowsps: seconds ? r.rows / seconds : null, ...extra })
  const out = []
  for (const [name, ms] of Object.entries(s)) out.push(line(`drydock ${name}`, sec(ms), { kind: 'stage' }))
  out.push(line('drydock production→staging (snapshot…verify-hop1)', copy, { kind: 'drydock', rss: r.drydock.maxRssKb }))
  out.push(line(`drydock round trip (all stages, ${r.label?.startsWith('migration') ? 'that migration' : 'empty migration'})`, round, { kind: 'drydock', rss: r.drydock.maxRssKb }))
  if (checkpoint > 0) out.push(line('drydock staging checkpoint (rehearsal only; in verify-hop1, not in production→staging)', checkpoint, { kind: 'stage' }))
  const vs = (what, anchor, drydock, target) => anchor && Number.isFinite(anchor)
    ? out.push(line(what, anchor, { kind: 'anchor', ratio: anchor / drydock, dd: drydock / anchor, target })) : anchor === undefined ? 0
    : out.push({ what, seconds: null, kind: 'anchor', note: 'failed' })
  const a = r.anchors
  if (r.engine === 'pg') {
    vs('raw COPY pipes, data only (floor; vs drydock dump + load of the rows)', a.rawCopy?.data, sec(s.dump) + loadDataSeconds(r), undefined)
    vs('raw COPY pipes + post-data', a.rawCopy?.total, copy, '≤ 1.0')
    vs(`pg_dump -Fd -j ${jobs} + pg_restore -j ${jobs}`, a.dumpRestore?.total, copy, undefined)
    vs('pgcopydb clone', a.pgcopydb?.total, copy, '≤ 0.9')
    if (a.pgcopydb?.error) out.push({ what: 'pgcopydb clone', seconds: null, kind: 'anchor', note: a.pgcopydb.error })
  } else {
    vs('mysqldump --single-transaction | mysql', a.mysqldump?.total, copy, undefined)
    vs(`mydumper -t ${jobs} --rows 100000 + myloader -t ${jobs}`, a.mydumper?.total, copy, '≤ 0.8')
  }
  const c = r.checksums
  out.push(line('drydock checksum (source, all tables)', c.drydock, { kind: 'checksum' }))
  const cs = (what, t, target) => (t === undefined ? 0 : vs(what, t, c.drydock, target))
  if (r.engine === 'pg') {
    cs('count(*) (floor)', c.count)
    cs('sum(hashtext(t::text)) (pgcopydb compare)', c.hashtext)
    cs('sum(64 bits of md5(t::text))', c.md5, '≤ 1.0')
  } else {
    cs('pt-table-checksum (standalone)', c.pt?.total, '≤ 1.0')
    if (c.pt?.error) out.push({ what: 'pt-table-checksum', seconds: null, kind: 'anchor', note: c.pt.error })
    cs('COUNT(*) (floor)', c.count)
    cs('CHECKSUM TABLE', c.checksumTable)
  }
  return out
}

const f = (n, d = 1) => (n === null || n === undefined || !Number.isFinite(n) ? '' : n.toFixed(d))
const k = (n) => (n === null || n === undefined ? '' : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`)

function tableMarkdown(r) {
  const lines = [
    `| ${r.engine === 'pg' ? 'PostgreSQL' : 'MariaDB'} scale ${r.scale}, drydock staging: ${r.staging ?? 'url'}${r.label ? ` — ${r.label}` : ''} | s | MB/s | rows/s | anchor ÷ drydock | drydock ÷ anchor | target (drydock ÷ anchor) |`,
    '|---|---:|---:|---:|---:|---:|---|',
  ]
  for (const x of rowsOf(r)) {
    const pass = x.target && x.dd !== undefined ? (x.dd <= Number(x.target.replace(/[^\d.]/g, '')) ? ' ✅' : ' ❌') : ''
    lines.push(`| ${x.what}${x.note ? ` (${x.note})` : ''} | ${f(x.seconds)} | ${f(x.mbps)} | ${k(x.rowsps)} | ${f(x.ratio, 2)} | ${f(x.dd, 2)} | ${x.target ?? ''}${pass} |`)
  }
  return lines.join('\n')
}

/** Derived checks: verification share, RSS, largest table's share of each stage, CPU split. */
function findings(r) {
  const s = r.drydock.stages
  const total = sum(s, Object.keys(s))
  const verify = sum(s, ['verify-hop1', 'verify-hop2']) - (r.drydock.checkpointMs ?? 0) / 1000
  const out = [
    `- rows ${r.rows.toLocaleString('en')}, ${(r.bytes / 1e6).toFixed(0)} MB as dump text; drydock wall ${f(total)} s`,
    `- machine load average (1 min) when each measurement started: ${(r.loads ?? []).map((l) => `${l.what} ${f(l.load)}`).join(', ')} (other work shares the ${cpus().length} cores)`,
    `- verification ${f(verify)} s = ${f((100 * verify) / total)} % of the pipeline (target ≤ 10 %) ${verify / total <= 0.1 ? '✅' : '❌'}`,
    ...(r.drydock.keep && r.drydock.keep.tables.length > 0
      ? [`- load back only what changed: ${r.drydock.keep.tables.length} table(s) kept live (${(r.drydock.keep.bytes / 1e6).toFixed(0)} MB)${r.drydock.keep.estimatedMsSaved === undefined ? ', nothing copied' : `, about ${f(r.drydock.keep.estimatedMsSaved / 1000)} s of load back saved (drydock's estimate, at its dump stage's speed)`}; copied though unchanged: ${r.drydock.keep.copiedAnyway.length}`]
      : []),
    `- peak RSS of the drydock process ${f(r.drydock.maxRssKb / 1024, 0)} MB (target < 300 MB) ${r.drydock.maxRssKb / 1024 < 300 ? '✅' : '❌'}; node CPU ${f(r.drydock.userCpuMs / 1000)} s user + ${f(r.drydock.systemCpuMs / 1000)} s sys`,
  ]
  const byStage = {}
  for (const e of r.drydock.tableEvents) (byStage[e.stage] ??= []).push(e)
  for (const [stage, events] of Object.entries(byStage)) {
    const biggest = events.reduce((a, b) => (b.ms > a.ms ? b : a))
    const start = r.drydock.stageEvents.find((e) => e.kind === 'stage-start' && e.stage === stage)
    const rowsIn = start ? (Math.max(...events.map((e) => Date.parse(e.at))) - Date.parse(start.at)) / 1000 : undefined
    const after = rowsIn !== undefined && stage !== 'dump' ? `; rows in after ${f(rowsIn)} s, then ${f(sec(s[stage]) - rowsIn)} s of post-data, sequences and ANALYZE` : ''
    out.push(`- ${stage}: largest unit ${biggest.table} ${f(biggest.ms / 1000)} s of the stage's ${f(sec(s[stage]))} s (${f((100 * biggest.ms) / (s[stage] || 1), 0)} %)${after}`)
  }
  if (r.checksums.each) {
    const [table, seconds] = Object.entries(r.checksums.each).reduce((a, b) => (b[1] > a[1] ? b : a))
    const all = Object.values(r.checksums.each).reduce((a, b) => a + b, 0)
    out.push(`- checksum (each verify side): largest unit ${table} ${f(seconds)} s alone, of ${f(all)} s for all tables one after another (${f((100 * seconds) / all, 0)} %); with ${jobs} sessions all tables took ${f(r.checksums.drydock)} s`)
  }
  out.push('', '| stage | wall s | node CPU s | server CPU s | other CPU s (pg_dump, psql…) | iowait s | idle s |', '|---|---:|---:|---:|---:|---:|---:|')
  for (const w of r.drydock.cpu) {
    if (w.seconds < 0.5) continue
    out.push(`| ${w.name} | ${f(w.seconds)} | ${f(w.node)} | ${f(w.server)} | ${f(w.other)} | ${f(w.iowait)} | ${f(w.idle)} |`)
  }
  if (r.profile) {
    out.push('', `Node CPU profile (self time, ${r.profile.totalMs} ms sampled):`, '')
    for (const t of r.profile.top) out.push(`- ${f(100 * t.share)} % ${t.ms} ms ${t.fn}`)
  }
  return out.join('\n')
}

function linearity(results) {
  const out = []
  for (const engine of ['pg', 'mysql']) for (const staging of ['url', 'ephemeral']) {
    const rs = results.filter((r) => r.engine === engine && !r.label && (r.staging ?? 'url') === staging).sort((a, b) => a.scale - b.scale)
    if (rs.length < 2) continue
    const [a, b] = [rs[0], rs.at(-1)]
    out.push(`| ${engine} (staging ${staging}) stage | s/M rows at scale ${a.scale} | s/M rows at scale ${b.scale} | growth per row |`, '|---|---:|---:|---:|')
    for (const stage of Object.keys(a.drydock.stages)) {
      const x = sec(a.drydock.stages[stage]) / (a.rows / 1e6)
      const y = sec(b.drydock.stages[stage]) / (b.rows / 1e6)
      out.push(`| ${stage} | ${f(x, 2)} | ${f(y, 2)} | ${f(y / x, 2)}× |`)
    }
    out.push(`| peak RSS MB | ${f(a.drydock.maxRssKb / 1024, 0)} | ${f(b.drydock.maxRssKb / 1024, 0)} | |`, '')
  }
  return out.join('\n')
}

await ensureTools()
mkdirSync(WORK, { recursive: true })
const facts = {
  date: new Date().toISOString(),
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? '',
  memoryGb: (totalmem() / 2 ** 30).toFixed(1),
  jobs,
  staging: stagingKind,
  ...(await versions()),
}
const results = []
if (argv['from-json']) {
  // --from-json a.json,b.json: the results file from earlier runs' result files, nothing run.
  for (const file of String(argv['from-json']).split(',')) results.push(JSON.parse(readFileSync(file, 'utf8')))
} else {
  for (const scale of scales) {
    for (const engine of engines) {
      const r = await benchEngine(engine, scale)
      r.staging = stagingKind
      if (argv.label) r.label = String(argv.label)
      results.push(r)
      process.stdout.write(`\n${tableMarkdown(r)}\n\n${findings(r)}\n`)
      const tag = argv.label ? `-${String(argv.label).replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}` : ''
      writeFileSync(join(WORK, `result-${engine}-s${scale}-${stagingKind}${tag}.json`), JSON.stringify(r, null, 1))
    }
  }
}
const md = [
  '# drydock benchmark results',
  '',
  `Generated by \`npm run bench -- ${process.argv.slice(3).join(' ')}\` on ${facts.date.slice(0, 10)}. ` +
    `Machine: ${facts.cores} cores (${facts.cpu}), ${facts.memoryGb} GiB RAM; jobs ${facts.jobs}. drydock staging "url": a database on the same local server as the anchors; "ephemeral": drydock's default, its own tuned server.`,
  `Versions: Node ${facts.node}, PostgreSQL ${facts.postgres}, ${facts.pg_dump}, pgcopydb ${facts.pgcopydb}, MariaDB ${facts.mariadb}, ${facts.mydumper}, ${facts.percona}.`,
  '',
  'drydock times are one `--rehearse` run (every stage; empty migration; the shadow database is loaded, verified and dropped), read from its report.json.',
  '"production→staging" = snapshot + staging (pre-data schema) + dump + load (rows, post-data, sequences, ANALYZE) + verify-hop1, i.e. the same end state as the anchors plus both checksums.',
  'Anchors run on the same source database into fresh databases on the same server. MB/s and rows/s use drydock\'s dump size (COPY text / CSV) and row count for every line.',
  '',
  ...results.flatMap((r) => [tableMarkdown(r), '', findings(r), '']),
  linearity(results),
].join('\n')
// --append adds this run's sections (with its own header line) to an existing results file.
if (argv.append && existsSync(OUT)) writeFileSync(OUT, `${readFileSync(OUT, 'utf8')}\n---\n\n${md.replace(/^# .*\n\n/, '')}\n`)
else writeFileSync(OUT, `${md}\n`)
log(`wrote ${OUT}`)
