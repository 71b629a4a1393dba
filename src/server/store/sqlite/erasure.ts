import type Database from 'better-sqlite3'
import type { EntityName } from '../../../shared/domain'
import type { Erasure } from '../../../shared/privacy'
import type { HeldEntity } from '../store'
import { TABLES } from '../rows'
import { ERASED_TABLE_ORDER, heldInternalKinds, type InternalKind, type ErasureRow, erasureOf } from '../erasure-rows'

/**
 * The SQLite side of erasures (privacy/erasure.ts drives them): rows move between their tables
 * and `erased_rows` inside the caller's transaction. The connection runs with secure_delete on,
 * so what leaves a table is overwritten in the file, not just unlinked.
 */

type Db = Database.Database

const json = (values: readonly string[]): string => JSON.stringify(values)

/** The erasure of a customer, if any. Asked for at every write of a conversation or message: `prepare` is the store's statement cache. */
export function getErasure(prepare: (sql: string) => Database.Statement, customerId: string): Erasure | null {
  const row = prepare('SELECT * FROM erasures WHERE customer_id = ?').get(customerId) as ErasureRow | undefined
  return row ? erasureOf(row) : null
}

export function listErasures(db: Db): Erasure[] {
  return (db.prepare('SELECT * FROM erasures ORDER BY purge_at, customer_id').all() as ErasureRow[]).map(erasureOf)
}

export function heldEntities(db: Db, customerId: string): HeldEntity[] {
  const rows = db
    .prepare(`SELECT kind, data FROM erased_rows WHERE customer_id = ? AND kind NOT LIKE 'table:%' ORDER BY ord`)
    .all(customerId) as { kind: EntityName; data: string }[]
  return rows.map((r) => ({ entity: r.kind, data: JSON.parse(r.data) }) as HeldEntity)
}

export function attachmentInUse(db: Db, url: string): boolean {
  return (
    db.prepare(
      `SELECT 1 WHERE EXISTS (SELECT 1 FROM messages WHERE instr(attachments, @url) > 0)
         OR EXISTS (SELECT 1 FROM erased_rows WHERE kind = 'message' AND instr(data, @url) > 0)`,
    ).get({ url }) !== undefined
  )
}

/** Moves the rows into `erased_rows` and out of their tables, and rewrites their changes to tombstones. */
export function holdRows(db: Db, erasure: Erasure, entities: readonly HeldEntity[]): void {
  db.prepare(
    `INSERT INTO erasures (customer_id, customer_ids, name, requested_by, requested_at, purge_at, immediate)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    erasure.customerId,
    json(erasure.customerIds),
    erasure.name,
    erasure.requestedBy,
    erasure.requestedAt,
    erasure.purgeAt,
    erasure.immediate ? 1 : 0,
  )
  const hold = db.prepare('INSERT INTO erased_rows (customer_id, ord, kind, data) VALUES (?, ?, ?, ?)')
  let ord = 0
  for (const { entity, data } of entities) hold.run(erasure.customerId, ord++, entity, JSON.stringify(data))

  const ids = json(erasure.customerIds)
  const conversations = json(entities.filter((e) => e.entity === 'conversation').map((e) => e.data.id))
  const summaries = json(entities.filter((e) => e.entity === 'summary').map((e) => e.data.id))
  const internal: Record<InternalKind, string> = {
    thread: 'SELECT * FROM conversation_threads WHERE conversation_id IN (SELECT value FROM json_each(@conversations))',
    suggestion: `SELECT * FROM customer_suggestions WHERE customer_id IN (SELECT value FROM json_each(@ids))
      OR candidate_id IN (SELECT value FROM json_each(@ids)) OR conversation_id IN (SELECT value FROM json_each(@conversations))`,
    merge: `SELECT * FROM customer_merges WHERE source_id IN (SELECT value FROM json_each(@ids)) OR target_id IN (SELECT value FROM json_each(@ids))`,
    feedback: 'SELECT * FROM summary_feedback WHERE summary_id IN (SELECT value FROM json_each(@summaries))',
  }
  for (const kind of heldInternalKinds) {
    for (const row of db.prepare(internal[kind]).all({ ids, conversations, summaries })) {
      hold.run(erasure.customerId, ord++, `table:${kind}`, JSON.stringify(row))
    }
  }
  db.prepare('DELETE FROM conversation_threads WHERE conversation_id IN (SELECT value FROM json_each(?))').run(conversations)
  db.prepare(
    `DELETE FROM customer_suggestions WHERE customer_id IN (SELECT value FROM json_each(@ids))
      OR candidate_id IN (SELECT value FROM json_each(@ids)) OR conversation_id IN (SELECT value FROM json_each(@conversations))`,
  ).run({ ids, conversations })
  db.prepare(
    'DELETE FROM customer_merges WHERE source_id IN (SELECT value FROM json_each(@ids)) OR target_id IN (SELECT value FROM json_each(@ids))',
  ).run({ ids })
  db.prepare('DELETE FROM summary_feedback WHERE summary_id IN (SELECT value FROM json_each(?))').run(summaries)
  // A waiting request to write their story again: moot, and not worth keeping for a restore.
  db.prepare('DELETE FROM summary_requests WHERE customer_id IN (SELECT value FROM json_each(?))').run(ids)

  for (const entity of ERASED_TABLE_ORDER) {
    dropRows(
      db,
      entity,
      entities.filter((e) => e.entity === entity).map((e) => e.data.id),
    )
  }
  // Their reporting events stay, so that the counts stay, but no longer say whose they were:
  // neither the rows nor the changes that carried them (a restore does not link them again).
  db.prepare(
    `UPDATE changes SET data = json_set(data, '$.customerId', NULL)
     WHERE entity = 'reportingEvent' AND data IS NOT NULL
       AND entity_id IN (SELECT id FROM reporting_events WHERE customer_id IN (SELECT value FROM json_each(?)))`,
  ).run(ids)
  db.prepare('UPDATE reporting_events SET customer_id = NULL WHERE customer_id IN (SELECT value FROM json_each(?))').run(ids)
}

/** Deletes the rows and rewrites every change of them to a tombstone: each keeps its seq and loses its payload. */
export function dropRows(db: Db, entity: EntityName, ids: readonly string[]): void {
  const of = json(ids)
  db.prepare(`DELETE FROM ${TABLES[entity]} WHERE id IN (SELECT value FROM json_each(?))`).run(of)
  db.prepare(
    `UPDATE changes SET op = 'delete', data = NULL
     WHERE entity_id IN (SELECT value FROM json_each(?)) AND entity = ? AND data IS NOT NULL`,
  ).run(of, entity)
}

/** Puts the server's own rows back where what they refer to is back, and drops the copy. */
export function releaseRows(db: Db, customerId: string): void {
  const rows = db
    .prepare(`SELECT kind, data FROM erased_rows WHERE customer_id = ? AND kind LIKE 'table:%' ORDER BY ord`)
    .all(customerId) as { kind: string; data: string }[]
  const exists = (table: string, id: unknown): boolean => db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id) !== undefined
  for (const { kind, data } of rows) {
    const row = JSON.parse(data) as Record<string, unknown>
    const table = INTERNAL_TABLES[kind.slice('table:'.length) as InternalKind]
    const refersToExisting =
      table === 'conversation_threads'
        ? exists('conversations', row.conversation_id)
        : table === 'customer_suggestions'
          ? exists('customers', row.customer_id) && exists('customers', row.candidate_id) && exists('conversations', row.conversation_id)
          : table === 'customer_merges'
            ? exists('customers', row.source_id) && exists('customers', row.target_id)
            : true
    if (!refersToExisting) continue
    const columns = Object.keys(row)
    // A key a new customer's thread took meanwhile stays theirs: OR IGNORE.
    db.prepare(`INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(row)
  }
  db.prepare('DELETE FROM erasures WHERE customer_id = ?').run(customerId)
}

export function purgeRows(db: Db, customerId: string, traces: readonly string[]): void {
  db.prepare('DELETE FROM erasures WHERE customer_id = ?').run(customerId)
  db.prepare('DELETE FROM dead_letters WHERE EXISTS (SELECT 1 FROM json_each(?) t WHERE instr(dead_letters.payload, t.value) > 0)').run(
    json(traces),
  )
}

const INTERNAL_TABLES: Record<InternalKind, string> = {
  thread: 'conversation_threads',
  suggestion: 'customer_suggestions',
  merge: 'customer_merges',
  feedback: 'summary_feedback',
}
