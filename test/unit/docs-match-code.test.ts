/**
 * The reference pages under docs/ against the code they describe: the error table is generated,
 * and every config option and command-line flag the parsers accept is documented.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI_OPTIONS } from '../../pipeline/cli.ts'
import { CONFIG_KEYS } from '../../pipeline/config/config.ts'
import { ERRORS_PAGE, errorsPage } from '../../scripts/errors-page.ts'

const DOCS = join(import.meta.dirname, '..', '..', 'docs')
const page = (name: string) => readFileSync(join(DOCS, name), 'utf8')

describe('docs match the code', () => {
  it('docs/errors.md is what `npm run docs` generates from pipeline/error-codes.ts', () => {
    expect(readFileSync(ERRORS_PAGE, 'utf8')).toBe(errorsPage())
  })

  it('docs/config.md names every option the config accepts', () => {
    const text = page('config.md')
    expect(CONFIG_KEYS.filter((key) => !new RegExp(`\`${key}[.\`]`).test(text))).toEqual([])
  })

  it('docs/cli.md names every flag the command line accepts', () => {
    const text = page('cli.md')
    expect(Object.keys(CLI_OPTIONS).filter((flag) => !text.includes(`--${flag}`))).toEqual([])
  })
})
