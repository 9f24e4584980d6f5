import { register } from 'node:module'

let registered = false

/** Lets user modules import 'drydock' from anywhere; safe to call more than once. */
export function registerDrydockResolver(): void {
  if (registered) return
  register('./resolve-drydock.mjs', import.meta.url)
  registered = true
}
