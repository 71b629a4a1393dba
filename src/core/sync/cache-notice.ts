import type { SyncState } from '../../shared/ipc'

/** The sync state with the reason the cache was rebuilt, so the agent learns why the inbox is filling up again. */
export function withCacheNotice(state: SyncState, notice: string | null): SyncState {
  return notice ? { ...state, cacheNotice: notice } : state
}
