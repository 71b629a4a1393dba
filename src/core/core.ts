import type { IpcEventMessage } from '../shared/ipc'

/**
 * The client core: the agent's SQLite cache, the sync engine and the IPC handlers.
 * Imports no electron, so it runs under plain Node: in Electron's utility process, in the
 * browser host, and in tests.
 */
export interface CoreOptions {
  /** Folder holding the cache file (`threadline-cache.sqlite`). */
  dataDir: string
  /**
   * Sync server base URL, e.g. http://127.0.0.1:4100. With a token: the server to sync with.
   * Without: the address the sign-in form suggests.
   */
  serverUrl?: string
  /**
   * API token of the agent (scripts, tests, `npm start`); used as given and never stored. Without
   * one the core uses the token stored by the last sign-in, or starts signed out.
   */
  token?: string
  /** Changes per pull batch. */
  batchSize?: number
  /**
   * Path to a better-sqlite3 addon built for the running runtime's ABI, passed to
   * better-sqlite3's `nativeBinding` option. Electron's utility process sets it (from
   * THREADLINE_NATIVE_BINDING) because the addon in node_modules is built for Node.
   */
  nativeBinding?: string
  /**
   * Key of the encrypted cache (32 bytes): from the OS keychain in the desktop app, from a key
   * file in the browser host. A plain cache is encrypted with it on first open; without one the
   * cache stays plain (tests). A cache the key cannot open is deleted and synced afresh.
   */
  cacheKey?: Uint8Array
}

export interface Core {
  /** Handles one IPC request; validates `args` with the shared schema; throws IpcError on bad input. */
  handle(method: string, args: unknown): Promise<unknown>
  /** Subscribes to pushed events (sync state, data changed). Returns the unsubscribe function. */
  subscribe(listener: (message: IpcEventMessage) => void): () => void
  /** Stops syncing and closes the cache. */
  close(): Promise<void>
}
