/**
 * Where config hooks run. A failing hook stops the run at that point, which is always safe:
 * before the snapshot nothing has happened; before the swap production is still as it was;
 * after the swap the upgrade is done (and --rollback undoes it).
 */
export const HOOK_POINTS = ['beforeSnapshot', 'afterMigrate', 'beforeSwap', 'afterSwap', 'onFailure'] as const

export type HookPoint = (typeof HOOK_POINTS)[number]

export type Hooks = Partial<Record<HookPoint, string>>
