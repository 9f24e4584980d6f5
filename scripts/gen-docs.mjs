#!/usr/bin/env node
// Writes docs/errors.md from pipeline/error-codes.ts (`npm run docs`); test/unit/docs-match-code.test.ts
// fails when the page and the table drift apart.
import { writeFileSync } from 'node:fs'
import { ERRORS_PAGE, errorsPage } from './errors-page.ts'

writeFileSync(ERRORS_PAGE, errorsPage())
process.stdout.write(`wrote ${ERRORS_PAGE}\n`)
