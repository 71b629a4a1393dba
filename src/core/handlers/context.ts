import type { Database } from 'better-sqlite3'
import type { IpcEventName, IpcEvents } from '../../shared/ipc'
import type { SyncEngine } from '../sync/engine'

/** The sync engine's public side: a live engine while signed in, a stand-in that does nothing while signed out. */
export type SyncLink = { [K in keyof SyncEngine]: SyncEngine[K] }

/** What every handler area works with. */
export interface HandlerContext {
  db: Database
  engine: SyncLink
  serverUrl: string
  /** The agent's API token, for the few server routes the core calls directly (attachments). */
  token: string
  emit<E extends IpcEventName>(event: E, payload: IpcEvents[E]): void
  /** Why the cache was rebuilt at this start (it could not be opened with its key), to show with the sync state. */
  cacheNotice?: string | null
}
