import { IPC_METHODS, type IpcHandlers } from '../../shared/ipc'

/** Joins the areas' handlers into the one map; a name registered twice or never is a bug. */
export function joinHandlers(parts: readonly Partial<IpcHandlers>[]): IpcHandlers {
  const all: Record<string, unknown> = {}
  for (const part of parts) {
    for (const [name, handler] of Object.entries(part)) {
      if (Object.hasOwn(all, name)) throw new Error(`IPC handler '${name}' is registered twice`)
      all[name] = handler
    }
  }
  const missing = IPC_METHODS.filter((m) => !Object.hasOwn(all, m))
  if (missing.length > 0) throw new Error(`IPC handlers missing for: ${missing.join(', ')}`)
  return all as IpcHandlers
}
