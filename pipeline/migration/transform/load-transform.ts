import { existsSync } from 'node:fs'
import { basename, extname, resolve } from 'node:path'
import { DrydockError } from '../../errors.ts'
import { importUserModule } from '../loader/import-user-module.ts'
import { resolveTransform, type ResolvedTransform } from './define-transform.ts'

export const TRANSFORM_EXTENSIONS = ['.ts', '.mts', '.mjs', '.js']

/**
 * Imports a transform file with the loader configs use (.ts without a build step; `import
 * { defineTransform } from 'drydock'` works from anywhere) and checks its shape. The default
 * export is used, else the only export that looks like a transform.
 */
export async function loadTransform(path: string): Promise<ResolvedTransform> {
  const file = resolve(path)
  const invalid = (problems: string[]) => new DrydockError('DD_CONFIG_INVALID', `Errors in transform ${file}:\n${problems.map((p) => `- ${p}`).join('\n')}`, {
    stage: 'config', hint: 'fix the transform file (see "Row transforms" in the README)',
  })
  if (!existsSync(file)) {
    throw new DrydockError('DD_CONFIG_INVALID', `Transform file ${file} not found`, { stage: 'config', hint: 'check the path of the transform step (relative to the config file)' })
  }
  if (!TRANSFORM_EXTENSIONS.includes(extname(file))) throw invalid([`a transform is a ${TRANSFORM_EXTENSIONS.join(', ')} module, got ${extname(file) || 'no extension'}`])
  let module: Record<string, unknown>
  try {
    module = await importUserModule(file)
  } catch (error) {
    throw new DrydockError('DD_CONFIG_INVALID', `Transform file ${file} could not be loaded: ${(error as Error).message}`, {
      stage: 'config', hint: 'fix the error in the transform file (an ES module: export default defineTransform({...}))',
    }, { cause: error })
  }
  const name = basename(file, extname(file))
  if (module.default !== undefined) {
    const resolved = resolveTransform(module.default, file, name)
    if (Array.isArray(resolved)) throw invalid(resolved)
    return resolved
  }
  const candidates = Object.entries(module).filter(([, v]) => typeof v === 'object' && v !== null && 'transform' in v)
  if (candidates.length !== 1) {
    throw invalid([candidates.length === 0
      ? `no transform exported (export default defineTransform({...}), or one named export); exports: ${Object.keys(module).join(', ') || 'none'}`
      : `several transforms exported (${candidates.map(([k]) => k).join(', ')}): export the one to run as default`])
  }
  const resolved = resolveTransform(candidates[0]![1], file, name)
  if (Array.isArray(resolved)) throw invalid(resolved)
  return resolved
}
