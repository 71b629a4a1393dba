import type { Database } from 'better-sqlite3'
import { cacheFileState } from './cipher'
import { rebuildSearchIndex, searchIndexSuspended, suspendSearchIndex } from './search-index'

/**
 * Filling an empty cache: every synced row would otherwise update the search index and a
 * dozen secondary indexes at random positions, committing the same pages batch after batch.
 * While a bulk load runs, the search index is suspended and the entity tables' secondary
 * indexes are dropped (their definitions kept in `suspended_indexes`); at the end both are
 * built once, each in one sorted pass.
 *
 * Crash safety: each step is one transaction, and what is left to do is recorded in the
 * cache itself (the definitions still in `suspended_indexes`, the search triggers still
 * missing). `openCache` finishes an interrupted bulk load before anything reads the cache.
 * The primary keys stay, so the sync's upserts and lookups by id work throughout.
 */

// Summaries and reporting events too: a supervisor's first sync receives one of those for every few messages
// (the events mostly as blocks, whose customers are indexed: event-blocks.ts).
export const ENTITY_TABLES = [
  'users',
  'customers',
  'identities',
  'conversations',
  'messages',
  'notes',
  'calls',
  'events',
  'summaries',
  'reporting_events',
  'reporting_event_block_customers',
]

export const SUSPENDED_INDEXES_TABLE = `
  CREATE TABLE suspended_indexes (name TEXT PRIMARY KEY, sql TEXT NOT NULL) STRICT;
`

export function beginBulkLoad(db: Database): void {
  db.transaction(() => {
    suspendSearchIndex(db)
    // Only indexes created by a statement: the primary keys' own indexes have no sql.
    const indexes = db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
         AND tbl_name IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ENTITY_TABLES)) as { name: string; sql: string }[]
    const keep = db.prepare('INSERT OR REPLACE INTO suspended_indexes (name, sql) VALUES (?, ?)')
    for (const index of indexes) {
      keep.run(index.name, index.sql)
      db.exec(`DROP INDEX ${index.name}`)
    }
  })()
}

function indexesSuspended(db: Database): boolean {
  return db.prepare('SELECT 1 FROM suspended_indexes LIMIT 1').get() !== undefined
}

/**
 * Creates an index now or, while a fill has its indexes suspended, with them at its end (a migration
 * met mid-fill). An index of a table a migration rebuilt may be suspended already: it stays so, once.
 */
export function createIndexOrDefer(db: Database, name: string, sql: string): void {
  if (!indexesSuspended(db)) db.exec(sql)
  else db.prepare('INSERT OR REPLACE INTO suspended_indexes (name, sql) VALUES (?, ?)').run(name, sql)
}

/** True when a bulk load began and has not finished: the cache is missing indexes. */
export function bulkLoadPending(db: Database): boolean {
  return indexesSuspended(db) || searchIndexSuspended(db)
}

/** Recreates the suspended indexes, then builds the search index (which reads through them). */
export function finishBulkLoad(db: Database): void {
  // Index builds sort whole tables: on disk, not in the core's memory (the cache keeps its
  // in-memory temp store for the small sorts of everyday queries). Not for an encrypted cache:
  // SQLite3 Multiple Ciphers writes temporary files in the clear, and a deleted sort run leaves
  // the customers' words in free disk blocks. Its sorts stay in memory, which costs a peak there.
  const tempStore = db.pragma('temp_store', { simple: true }) as number
  if (cacheFileState(db.name) !== 'encrypted') db.pragma('temp_store = FILE')
  const rollbackJournal = leaveWal(db)
  try {
    db.transaction(() => {
      const indexes = db.prepare('SELECT name, sql FROM suspended_indexes ORDER BY name').all() as { name: string; sql: string }[]
      for (const index of indexes) db.exec(index.sql)
      db.exec('DELETE FROM suspended_indexes')
      if (searchIndexSuspended(db)) rebuildSearchIndex(db)
    })()
  } finally {
    db.pragma(`temp_store = ${tempStore}`)
    if (rollbackJournal) db.pragma('journal_mode = WAL')
  }
  // Built through the WAL: copy the whole index back to the file and give the WAL's space back.
  if (!rollbackJournal) db.pragma('wal_checkpoint(TRUNCATE)')
  // An encrypted cache's sorts ran in memory, in many small allocations among the page cache's
  // pages; with those pages freed too, the allocator can give the space back to the system
  // instead of keeping it for a process that no longer needs it. Reads fill the cache again.
  db.pragma('shrink_memory')
}

/**
 * The index build writes new pages only. Through the WAL each would be written twice, to the WAL
 * and by the checkpoint to the file (an encrypted cache decrypting and encrypting it again between);
 * a rollback journal lets them be written once, to the file, and journals none of them, since none
 * existed when the transaction began. A crash mid-build rolls it back, and the next open builds again.
 * Leaving WAL needs the only connection to the file: with another one open, the build stays in WAL.
 */
function leaveWal(db: Database): boolean {
  try {
    return db.pragma('journal_mode = DELETE', { simple: true }) === 'delete'
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return false
    throw err
  }
}
