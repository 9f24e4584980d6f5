/** Which engines engine-parametrised suites run on: DD_TEST_ENGINES=postgres,mysql (default both). */

export type EngineKind = 'postgres' | 'mysql'

const KINDS: readonly EngineKind[] = ['postgres', 'mysql']

function chosenKinds(): readonly EngineKind[] {
  const text = process.env.DD_TEST_ENGINES?.trim()
  if (!text) return KINDS
  const kinds = text.split(',').map((k) => k.trim()).filter((k) => k !== '')
  const unknown = kinds.filter((k) => !(KINDS as readonly string[]).includes(k))
  if (unknown.length > 0) throw new Error(`DD_TEST_ENGINES names unknown engine(s) ${unknown.join(', ')}; known: ${KINDS.join(', ')}`)
  return kinds as EngineKind[]
}

/** The entries of `all` whose engine DD_TEST_ENGINES lists, in their order. */
export function chosenEngines<T>(all: readonly T[], kindOf: (entry: T) => EngineKind): T[] {
  const kinds = chosenKinds()
  return all.filter((entry) => kinds.includes(kindOf(entry)))
}
