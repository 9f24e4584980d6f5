import { copyFile, rm } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { registerDrydockResolver } from './register.ts'

/**
 * Imports a user's config or transform (.mjs, .js, .ts, .mts). A `.ts` file outside an ESM
 * package would be compiled as CommonJS; a short-lived `.mts` twin beside it (so relative
 * imports still resolve) is always loaded as an ES module.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  registerDrydockResolver()
  if (extname(file) !== '.ts') return import(pathToFileURL(file).href)
  const twin = join(dirname(file), `.${basename(file, '.ts')}.drydock-${process.pid}-${Date.now()}.mts`)
  await copyFile(file, twin)
  try {
    return await import(pathToFileURL(twin).href)
  } finally {
    await rm(twin, { force: true })
  }
}
