import { newId } from '../../shared/ids'
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { CacheKeyError, unlockCache } from './cipher'
import { migrate } from './migrations'
import { clearListingChanges } from './listed-columns'
import { countOutbox, getSyncMeta, initSyncMeta, resetCache } from './queries'
import { bulkLoadPending, finishBulkLoad } from './bulk-load'

export const CACHE_FILE = 'threadline-cache.sqlite'

/** SQLite page cache ceiling (KiB); the core's memory budget is 300 MB RSS. */
const CACHE_KIB = 32 * 1024
/** WAL pages between automatic checkpoints (SQLite's default is 1,000). */
const WAL_CHECKPOINT_PAGES = 10_000

export class CacheOwnerError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CacheOwnerError'
  }
}

export interface OpenCacheOptions {
  nativeBinding?: string | undefined
  /** Encrypts the cache with this key (a plain one is encrypted on first open); without one it stays plain. */
  cacheKey?: Uint8Array | undefined
}

/**
 * Opens (creating or upgrading) the cache in `dataDir`. A cache filled from another server
 * is started afresh, unless it still holds unsent actions: those are refused rather than
 * dropped or sent to the wrong server. With no server (signed out) the cache is kept as it is.
 * Throws CacheKeyError when the cache cannot be read with the key given.
 */
export function openCache(dataDir: string, serverUrl: string | null, options: OpenCacheOptions = {}): Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, CACHE_FILE)
  restrictToOwner(file)
  const connect = (readonly = false): Database => new BetterSqlite3(file, { readonly, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) })
  const db = connect()
  try {
    unlockCache(db, file, options.cacheKey ?? null, connect)
    db.pragma('journal_mode = WAL')
    // An action is shown once its outbox row commits, so that commit must survive a power cut
    // too, not only a killed process (NORMAL's promise in WAL mode). Sync batches commit in large
    // transactions, so the extra sync per commit costs little.
    db.pragma('synchronous = FULL')
    db.pragma('busy_timeout = 5000')
    // The indexes are keyed by random UUIDs, so a sync touches pages all over the file: the
    // default 2 MB page cache re-reads most of them for every batch. Pages are allocated only
    // as used, so this is a ceiling on memory, not a reservation.
    db.pragma(`cache_size = -${CACHE_KIB}`)
    db.pragma('temp_store = MEMORY')
    // Checkpoint less often: the same hot index pages are otherwise copied back to the main
    // file over and over during a sync. The WAL is cut back to this size after each checkpoint.
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
    db.pragma(`journal_size_limit = ${WAL_CHECKPOINT_PAGES * (db.pragma('page_size', { simple: true }) as number)}`)
    migrate(db, file)
    clearListingChanges(db)
    // An initial sync builds its indexes once caught up; one cut short resumes without them
    // (SyncEngine.pullAll). With no server to resume from, they are built now.
    if (serverUrl === null && bulkLoadPending(db)) finishBulkLoad(db)
    const meta = getSyncMeta(db)
    if (!meta) {
      initSyncMeta(db, { clientId: newId(), serverUrl })
    } else if (serverUrl !== null && meta.serverUrl !== serverUrl) {
      startAfreshOrRefuse(db, `server ${meta.serverUrl ?? '(unknown)'}`, serverUrl)
    }
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

/**
 * Opens the cache, or, when its key cannot read it (the keychain entry was lost or replaced, the
 * file damaged), deletes it and opens an empty one that the next sync fills from the server.
 * Only actions never sent from the old cache are lost, and they cannot be read without the key
 * anyway. `rebuilt` says why it happened, for the log and the agent.
 */
export function openCacheOrRebuild(dataDir: string, serverUrl: string | null, options: OpenCacheOptions = {}): { db: Database; rebuilt: string | null } {
  try {
    return { db: openCache(dataDir, serverUrl, options), rebuilt: null }
  } catch (err) {
    if (!(err instanceof CacheKeyError)) throw err
    const file = join(dataDir, CACHE_FILE)
    for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(path, { force: true })
    const rebuilt = `This device's copy of the inbox could not be opened (${err.message}), so it was deleted and is being synced again from the server.`
    return { db: openCache(dataDir, serverUrl, options), rebuilt }
  }
}

/**
 * The cache holds customers' conversations: like session.json beside it, it is readable by
 * its owner only. It is created 0600 before SQLite opens it (SQLite would make it 0644), and a
 * cache left wider by an older version is narrowed, with its -wal and -shm files; new ones
 * take the main file's mode.
 */
function restrictToOwner(file: string): void {
  closeSync(openSync(file, 'a', 0o600))
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600)
}

/** The cache belongs to someone else (another server or user): wipe it, unless that loses actions. */
export function startAfreshOrRefuse(db: Database, owner: string, serverUrl: string): void {
  const { pending, failed } = countOutbox(db)
  if (pending + failed > 0) {
    throw new CacheOwnerError(
      `The cache was filled for ${owner} and still holds ${pending + failed} action(s) that never reached it; ` +
        'sign in as that user on that server to send them, or delete the cache file to drop them.',
    )
  }
  resetCache(db, { clientId: newId(), serverUrl })
}
