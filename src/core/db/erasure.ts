import type { Database } from 'better-sqlite3'
import { anonymizeInBlocks } from './event-blocks'
import { searchIndexSuspended } from './search-index'

/**
 * A customer's erasure reaching this device (shared/sync.ts): the customer and every row of
 * theirs leave the cache, with what this device kept about them; their reporting events lose
 * their name, as rows and in the blocks a first sync kept (event-blocks.ts). The search index
 * entries go with their rows, by the triggers. Whether the cache held anything of theirs: every
 * client hears of every erasure, most of them of customers they never saw.
 */
export function dropCustomer(db: Database, customerId: string): boolean {
  const conversations = 'SELECT id FROM conversations WHERE customer_id = @id'
  let dropped = 0
  for (const sql of [
    // This device's own rows about them first, while their conversations still say whose they are.
    `DELETE FROM outbox WHERE conversation_id IN (${conversations})`,
    `DELETE FROM drafts WHERE conversation_id IN (${conversations})`,
    `DELETE FROM read_markers WHERE conversation_id IN (${conversations})`,
    `DELETE FROM search_retag WHERE conversation_id IN (${conversations})`,
    'DELETE FROM mention_reads WHERE note_id IN (SELECT id FROM notes WHERE customer_id = @id)',
    'DELETE FROM summary_ratings WHERE summary_id IN (SELECT id FROM summaries WHERE customer_id = @id)',
    'DELETE FROM summaries WHERE customer_id = @id',
    // Their reporting events stay for the counts, anonymous, as on the server.
    'UPDATE reporting_events SET customer_id = NULL WHERE customer_id = @id',
    ...['events', 'calls', 'notes', 'messages'].map((t) => `DELETE FROM ${t} WHERE customer_id = @id OR conversation_id IN (${conversations})`),
    'DELETE FROM conversations WHERE customer_id = @id',
    'DELETE FROM identities WHERE customer_id = @id',
    'DELETE FROM customers WHERE id = @id',
  ]) {
    dropped += db.prepare(sql).run({ id: customerId }).changes
  }
  return anonymizeInBlocks(db, customerId) || dropped > 0
}

/**
 * After an erasure is applied, so the bytes leave the cache file and its WAL: the deleted rows
 * were overwritten (secure_delete, set by the sync engine), but FTS5 keeps a deleted entry's
 * terms in its segments until they are merged, and the WAL holds the pages as they were.
 */
export function scrubErasedBytes(db: Database): void {
  if (!searchIndexSuspended(db)) db.exec(`INSERT INTO search_index (search_index) VALUES ('optimize')`)
  db.pragma('wal_checkpoint(TRUNCATE)')
}
