/** What an engine's canary is: a table, how it is created and filled, and its columns in dump order. */
export interface CanaryColumn {
  readonly name: string
  /** As the error names it. */
  readonly type: string
}

export interface CanaryTable {
  /** PostgreSQL schema; MySQL: replaced by the scratch database's name. */
  readonly schema: string
  readonly name: string
  /** Every column in definition order (no generated ones: the dump has them all). */
  readonly columns: readonly CanaryColumn[]
  /** A script for the engine's command-line client (driver.runSqlFile) that creates and fills it. */
  readonly sql: string
}
