/**
 * The engines drydock knows: the one list. A new engine is a folder under drivers/ with its
 * facts here and its driver in registry.ts (tsc asks for both).
 */
import type { EngineFacts } from './engine-facts.ts'
import { mysqlFacts } from './mysql/mysql-facts.ts'
import { postgresFacts } from './postgres/postgres-facts.ts'

const ENGINES = { postgres: postgresFacts, mysql: mysqlFacts } as const satisfies Record<string, EngineFacts>

export type EngineName = keyof typeof ENGINES

export const engineNames = Object.keys(ENGINES) as EngineName[]

export function engineFacts(engine: EngineName): EngineFacts {
  return ENGINES[engine]
}

/** The engine a URL scheme (without `:`) names, if any. */
export function engineOfScheme(scheme: string): EngineName | undefined {
  return engineNames.find((engine) => ENGINES[engine].schemes.includes(scheme))
}
