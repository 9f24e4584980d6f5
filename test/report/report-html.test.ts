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
import { reportHtml } from '../../pipeline/report/report-html.ts'
import { reportMarkdown } from '../../pipeline/report/report-markdown.ts'
import { writeReport } from '../../pipeline/report/report-write.ts'
import { createRunDirs, ManifestStore, runPaths } from '../../pipeline/run-dir.ts'
import { removeTempDirs, tempDir } from '../helpers/drydock.ts'
import { dumpDom, haveChromium, screenshot } from './chromium.ts'
import { decodePng } from './png.ts'
import { EVIL_TABLE, failedManifest, verifiedManifest } from './report-fixture.ts'

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

  it('verified run: green verdict and the swap', async () => {
    const { dom, png } = await render('verified', reportHtml(reportData(verifiedManifest())))
    expect(dom).toContain('✓ VERIFIED')
    expect(dom).toContain('swapped at 2026-11-22T07:12:15.513Z')
    const [r, g, b] = decodePng(readFileSync(png)).pixel(640, 80)
    expect(g > 80 && r < 60 && b < 80, `verdict banner colour at (640, 80): ${r},${g},${b}`).toBe(true)
  })
})
