#!/usr/bin/env zx
// The operator's entry point. It only wires the command line to pipeline/cli.ts; all logic
// lives in pipeline/. tsx's loader lets the pipeline, .ts configs and .ts transforms load
// without a build step.
import { register } from 'tsx/esm/api'
import { fileURLToPath } from 'node:url'

register()
const here = fileURLToPath(import.meta.url)
const at = process.argv.findIndex((arg) => arg === here || arg.endsWith('offline-upgrade.mjs'))
const { main } = await import('../pipeline/cli.ts')
process.exitCode = await main(process.argv.slice(at + 1))
