import { join } from 'node:path'
import type { RunContext } from '../../run-state/context.ts'
import type { SchemaCopyOptions, SchemaSection } from '../../drivers/driver.ts'
import type { Endpoint } from '../../config/endpoint.ts'
import { inStage } from '../../errors.ts'

/**
 * Copies one schema section and keeps the SQL in the run directory as `schema/<label>-<section>.sql`
 * (what was applied is part of the audit trail).
 */
export async function copySchemaSection(
  ctx: RunContext, from: Endpoint, to: Endpoint, section: SchemaSection, label: string, snapshot?: string,
  more: Pick<SchemaCopyOptions, 'liveReferences'> = {},
): Promise<void> {
  const where = label === 'migrated' ? 'into the production copy' : 'into staging'
  if (ctx.progress) ctx.progress.phase = section === 'pre-data' ? `creating tables ${where}` : `building indexes, constraints and triggers ${where}`
  try {
    await ctx.driver.copySchema(from, to, section, {
      ...(snapshot ? { snapshot } : {}),
      ...(ctx.config.schemas ? { schemas: ctx.config.schemas } : {}),
      saveAs: join(ctx.paths.schemaDir, `${label}-${section}.sql`),
      logFile: ctx.paths.toolLog,
      jobs: ctx.options.jobs,
      ...more,
    })
  } catch (error) {
    throw inStage('schema', error)
  } finally {
    if (ctx.progress) ctx.progress.phase = undefined
  }
}
