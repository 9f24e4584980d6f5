#!/usr/bin/env zx
// `npm run demo [-- --engine mysql]`: a whole offline upgrade on a throwaway server.
import { register } from 'tsx/esm/api'

register()
const engine = argv.engine ?? 'postgres'
const { runDemo } = await import('../pipeline/commands/demo.ts')
const { printError } = await import('../pipeline/cli.ts')
try {
  process.exitCode = await runDemo(engine === 'mariadb' ? 'mysql' : engine)
} catch (error) {
  printError(error)
  process.exitCode = 1
}
