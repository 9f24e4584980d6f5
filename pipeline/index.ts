/**
 * drydock's library entry: what config files and transforms import.
 *
 * @example
 * import { defineUpgrade } from 'drydock'
 * export default defineUpgrade({ source: 'postgres://app@db/app', migrate: [{ sql: 'upgrade/*.sql' }] })
 */
export { defineUpgrade, loadConfig, parseConfig } from './config.ts'
export type { CommandStep, MigrationStep, ParsedConfig, SqlStep, UpgradeConfig } from './config.ts'
export { DrydockError } from './errors.ts'
export { runUpgrade } from './run.ts'
export { main } from './cli.ts'
