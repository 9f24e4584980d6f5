/**
 * report.html is one self-contained page a person signs an upgrade off with. Rendered from
 * realistic manifests (one failed at hop 2, one verified) and opened in a real headless
 * chromium: the verdict is on top, hostile table names arrive as text, nothing is injected.
 * Set DD_REPORT_SHOT_DIR to keep the pages and screenshots for a look.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { reportData } from '../../pipeline/report/report-data.ts'
import { compareSequences } from '../../pipeline/stages/verify/sequence-check.ts'
import { reportHtml } from '../../pipeline/report/report-html.ts'
import { reportMarkdown } from '../../pipeline/report/report-markdown.ts'
import { writeReport } from '../../pipeline/report/report-write.ts'
import { createRunDirs, ManifestStore, runPaths } from '../../pipeline/run-state/run-dir.ts'
import { removeTempDirs, tempDir } from '../helpers/drydock.ts'
import { dumpDom, haveChromium, screenshot } from './chromium.ts'
import { decodePng } from './png.ts'
import { EVIL_TABLE, failedManifest, verifiedManifest, withObjectChecks } from './report-fixture.ts'

const ESCAPED_TABLE = 'public.&lt;script&gt;&amp;&quot;x&quot;'

function outDir(): string {
  const keep = process.env.DD_REPORT_SHOT_DIR
  if (!keep) return tempDir('report-html')
  mkdirSync(keep, { recursive: true })
  return keep
}

afterAll(removeTempDirs)

describe('report.html', () => {
  it('is self-contained: no scripts, no links, nothing fetched; every table name escaped', () => {
    const html = reportHtml(reportData(failedManifest()))
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|https?:\/\//i)
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/)
    expect(html).not.toContain(EVIL_TABLE)
    expect(html.split(ESCAPED_TABLE).length - 1).toBe(2)
    expect(html).toContain('✗ FAILED')
  })

  it('marks tables the migration dropped and created, and shortens file hashes with the full value in title', () => {
    const data = reportData(failedManifest())
    const html = reportHtml(data)
    expect(html).toMatch(/<code>public\.patchwork_comment<\/code> <span class="tag tag-dropped">dropped by migration<\/span>/)
    expect(html).toMatch(/<code>public\.patchwork_cover<\/code> <span class="tag tag-new">new in migration<\/span>/)
    const sha = data.hop1.tables[0]!.sha256!
    expect(html).toContain(`<td class="mono" title="sha256 ${sha}">${sha.slice(0, 12)}…</td>`)
  })

  it('is written beside report.md and report.json', async () => {
    const paths = runPaths(join(tempDir('report-write'), 'run'))
    createRunDirs(paths)
    const store = new ManifestStore(paths.manifest, verifiedManifest())
    await store.save()
    await writeReport(paths, store)
    for (const file of [paths.reportJson, paths.reportMd, paths.reportHtml]) expect(existsSync(file), file).toBe(true)
    expect(readFileSync(paths.reportHtml, 'utf8')).toContain('✓ VERIFIED')
  })
})

describe('report.md', () => {
  it('escapes | in table names so each table stays one row', () => {
    const m = verifiedManifest()
    const record = m.tables['public.auth_user']!
    m.tables['public.auth_user'] = { ...record, name: 'odd|name' }
    const line = reportMarkdown(reportData(m)).split('\n').find((l) => l.includes('odd'))!
    expect(line).toContain('public.odd\\|name')
    expect(line.split(/(?<!\\)\|/).length).toBe(8)
  })

  it('lists every sequence and materialized view of each hop with before → after and its verdict, differing first', () => {
    const md = reportMarkdown(reportData(withObjectChecks(verifiedManifest(), 'postgres')))
    const hop2 = md.slice(md.indexOf('## Hop 2'))
    expect(hop2).toContain('Sequences and materialized views (3 sequences, 1 materialized view: 1 differs, 1 behind max(id)):')
    const rows = hop2.split('\n').filter((l) => l.startsWith('| sequence') || l.startsWith('| materialized view'))
    expect(rows.map((l) => l.split(' | ')[1])).toEqual(['public.patchwork_person_id_seq', 'public.auth_user_id_seq', 'public.patchwork_patch_id_seq', 'public.patchwork_patch_summary'])
    expect(rows[0]).toMatch(/^\| sequence \| public\.patchwork_person_id_seq \| 2000 \| 2005 \| ✗ differs \(sequence at 2000 on staging, 2005 on the production copy\) \|$/)
    expect(rows[1]).toContain('| 310 | 310 | ⚠ behind max(id) (next value 311, but public.auth_user.id holds up to 420; fix: SELECT setval(')
    expect(rows[3]).toContain('| 48212 rows · 88104772341876123 | 48212 rows · 88104772341876123 | ✓ equal |')
    expect(md.slice(md.indexOf('## Hop 1'), md.indexOf('## Hop 2'))).toContain('| sequence | public.auth_user_id_seq | 310 | 310 | ✓ equal |')
  })

  it('lists MySQL AUTO_INCREMENT counters by table name with the next value they hand out', () => {
    const md = reportMarkdown(reportData(withObjectChecks(verifiedManifest(), 'mysql')))
    expect(md).toContain('| sequence | patchwork_person | next 2001 | next 2006 | ✗ differs')
    expect(md).toContain('| sequence | patchwork_patch | next 48213 | next 48213 | ✓ equal |')
  })
})

describe('report.html object checks', () => {
  it('folds a long list into a <details> per hop, left open when something differs', () => {
    const m = withObjectChecks(verifiedManifest(), 'postgres')
    const many = Array.from({ length: 20 }, (_, i) => ({ schema: 'public', name: `s${String(i).padStart(2, '0')}`, lastValue: String(i), isCalled: true }))
    m.sequenceChecks = { hop1: compareSequences(many, many, ['production', 'staging'], false), hop2: m.sequenceChecks!.hop2 }
    m.materializedViewChecks = {}
    const html = reportHtml(reportData(m))
    expect(html).toContain('<details class="objects"><summary>Sequences and materialized views (20 sequences: all equal)</summary>')
    m.sequenceChecks.hop1 = compareSequences(many, many.map((s, i) => (i === 19 ? { ...s, lastValue: '99' } : s)), ['production', 'staging'], false)
    const changed = reportHtml(reportData(m))
    expect(changed).toContain('<details class="objects" open=""><summary>Sequences and materialized views (20 sequences: 1 differs)</summary>')
    const list = changed.slice(changed.indexOf('<details class="objects"'))
    expect(list.indexOf('<code>public.s19</code>')).toBeLessThan(list.indexOf('<code>public.s00</code>'))
  })

  it('after a rollback and in a rehearsal the report still lists the checks', () => {
    const rolled = withObjectChecks(verifiedManifest(), 'postgres')
    rolled.verdict = 'rolled-back'
    rolled.swap = { ...rolled.swap!, status: 'rolled-back' }
    const rehearsal = withObjectChecks(verifiedManifest(), 'postgres')
    rehearsal.mode = 'rehearsal'
    delete rehearsal.swap
    for (const m of [rolled, rehearsal]) {
      const html = reportHtml(reportData(m))
      expect(html.split('<code>public.patchwork_person_id_seq</code>').length - 1).toBe(2)
      expect(html).toContain('<caption>3 sequences, 1 materialized view: 1 differs, 1 behind max(id)</caption>')
      expect(reportMarkdown(reportData(m))).toContain('| sequence | public.patchwork_person_id_seq | 2000 | 2005 | ✗ differs')
    }
  })
})

describe.skipIf(!haveChromium && !process.env.CI)('report.html in headless chromium', () => {
  const dir = outDir()

  async function render(name: string, html: string) {
    const page = join(dir, `${name}.html`)
    const png = join(dir, `${name}.png`)
    writeFileSync(page, html)
    const [dom] = await Promise.all([dumpDom(page), screenshot(page, png)])
    return { dom, png }
  }

  it('failed run: red verdict on top with code, stage and table; the hostile name is text, no script injected', async () => {
    const { dom, png } = await render('failed', reportHtml(reportData(failedManifest())))
    expect(dom).toMatch(/<p class="verdict-mark" id="verdict">✗ FAILED<\/p>/)
    expect(dom).toContain('DD_VERIFY_MISMATCH')
    expect(dom).toContain('<code>verify-hop2</code>')
    expect(dom).toContain('<code>public.patchwork_person</code>')
    expect(dom.split('<code>public.&lt;script&gt;&amp;"x"</code>').length - 1).toBe(2)
    expect(dom).not.toMatch(/<script[\s>]/i)
    expect(dom.indexOf('✗ FAILED')).toBeLessThan(dom.indexOf('Hop 1'))

    expect(statSync(png).size).toBeGreaterThan(20_000)
    const image = decodePng(readFileSync(png))
    expect([image.width, image.height]).toEqual([1280, 2000])
    const [r, g, b] = image.pixel(640, 80)
    expect(r > 150 && g < 60 && b < 80, `verdict banner colour at (640, 80): ${r},${g},${b}`).toBe(true)
    const colours = new Set<string>()
    for (let y = 0; y < image.height; y += 25) for (let x = 0; x < image.width; x += 25) colours.add(image.pixel(x, y).join())
    expect(colours.size).toBeGreaterThan(10)
  })

  for (const engine of ['postgres', 'mysql'] as const) {
    it(`${engine}: each sequence shows its name with before → after, each materialized view its name, differing rows flagged`, async () => {
      const { dom } = await render(`objects-${engine}`, reportHtml(reportData(withObjectChecks(verifiedManifest(), engine))))
      const rows = [...dom.matchAll(/<tr class="(row-[a-z]+)"><td>(sequence|materialized view)<\/td><th scope="row" class="table-name"><code>([^<]+)<\/code><\/th><td class="mono">([^<]+)<\/td><td class="mono">([^<]+)<\/td><td class="check"[^>]*>([^<]+)/g)]
        .map(([, cls, kind, name, before, after, verdict]) => ({ cls, kind, name, before, after, verdict }))
      const prefix = engine === 'mysql' ? '' : 'public.'
      const v = (n: string) => (engine === 'mysql' ? `next ${Number(n) + 1}` : n)
      const seqName = (table: string) => (engine === 'mysql' ? table : `${prefix}${table}_id_seq`)
      expect(rows.filter((r) => r.kind === 'sequence').slice(0, 3), 'hop 1').toEqual([
        { cls: 'row-ok', kind: 'sequence', name: seqName('auth_user'), before: v('310'), after: v('310'), verdict: '✓ equal' },
        { cls: 'row-ok', kind: 'sequence', name: seqName('patchwork_patch'), before: v('48212'), after: v('48212'), verdict: '✓ equal' },
        { cls: 'row-ok', kind: 'sequence', name: seqName('patchwork_person'), before: v('2000'), after: v('2000'), verdict: '✓ equal' },
      ])
      const hop2 = rows.filter((r) => r.kind === 'sequence').slice(3)
      expect(hop2[0]).toEqual({ cls: 'row-mismatch', kind: 'sequence', name: seqName('patchwork_person'), before: v('2000'), after: v('2005'), verdict: '✗ differs' })
      expect(hop2[1]!.verdict).toBe(engine === 'postgres' ? '⚠ behind max(id)' : '✓ equal')
      expect(rows.filter((r) => r.kind === 'materialized view').map((r) => [r.name, r.verdict])).toEqual([
        ['public.patchwork_patch_summary', '✓ equal'], ['public.patchwork_patch_summary', '✓ equal'],
      ])
    })
  }

  it('verified run: green verdict and the swap', async () => {
    const { dom, png } = await render('verified', reportHtml(reportData(verifiedManifest())))
    expect(dom).toContain('✓ VERIFIED')
    expect(dom).toContain('swapped at 2026-11-22T07:12:15.513Z')
    const [r, g, b] = decodePng(readFileSync(png)).pixel(640, 80)
    expect(g > 80 && r < 60 && b < 80, `verdict banner colour at (640, 80): ${r},${g},${b}`).toBe(true)
  })
})
