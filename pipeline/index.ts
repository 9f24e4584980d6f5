/**
 * drydock's library entry: what config files and transforms import.
 *
 * @example
 * import { defineUpgrade } from 'drydock'
 * export default defineUpgrade({ source: 'postgres://app@db/app', migrate: [{ sql: 'upgrade/*.sql' }] })
 */
export { defineUpgrade, loadConfig, parseConfig } from './config/config.ts'
export type { CommandStep, MigrationStep, ParsedConfig, SqlStep, UpgradeConfig } from './config/config.ts'
export { DrydockError } from './errors.ts'
export { defineTransform, isTransform } from './migration/transform/define-transform.ts'
export type {
  AnyTransform, LookupSpec, MultiTargetTransform, OutputRow, OutputValue, Row, RowValue, Rows, SingleTargetTransform, SourceSpec,
  TableSpec, TargetSpec, TransformContext,
} from './migration/transform/define-transform.ts'
export { loadTransform } from './migration/transform/load-transform.ts'
export { executeTransform } from './migration/transform/run-transform.ts'
export type { TransformRecord } from './run-state/stage-records.ts'
export { sampleTransform } from './migration/transform/sample.ts'
export type { ExpectationSpec } from './safety/expectations/expectations.ts'
export type { CarryOverRecord, ExpectationResult } from './run-state/check-records.ts'
export { checkExpectations } from './safety/expectations/check-expectations.ts'
export { discardCheckpoint, restoreCheckpoint, saveCheckpoint } from './stages/checkpoint/checkpoint.ts'
export type { CheckpointRecord } from './run-state/stage-records.ts'
export { runUpgrade } from './commands/run-command.ts'
export { main } from './cli.ts'
