import type { Database } from 'better-sqlite3'
import type { IpcEventName, IpcEvents } from '../../shared/ipc'
import type { SyncEngine } from '../sync/engine'

/** What every handler area works with. */
export interface HandlerContext {
  db: Database
  engine: SyncEngine
  serverUrl: string
  /** The agent's API token, for the few server routes the core calls directly (attachments). */
  token: string
  emit<E extends IpcEventName>(event: E, payload: IpcEvents[E]): void
}
