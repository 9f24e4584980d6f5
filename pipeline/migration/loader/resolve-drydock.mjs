// Module hook: `import ... from 'drydock'` in a config or transform resolves to this checkout,
// wherever that file lives (an app's folder has no node_modules/drydock).
const entry = new URL('../../index.ts', import.meta.url).href

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'drydock') return nextResolve(entry, context)
  return nextResolve(specifier, context)
}
