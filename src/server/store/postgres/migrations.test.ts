import pg from 'pg'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/postgres'
import { MIGRATIONS, migrate } from './migrations'
import { openPostgresStore } from './postgres-store'

/** Upgrading a PostgreSQL store that holds data: what SQLite's migration tests check, on PostgreSQL. */

let database: TestDatabase
let pool: pg.Pool
beforeEach(async () => {
  database = await createTestDatabase()
  pool = new pg.Pool({ connectionString: database.url })
})
afterEach(async () => {
  await pool.end()
  await database.drop()
})

it('gives an older server’s conversations their threads and its change log the new fields', async () => {
  await migrate(pool, 'test', MIGRATIONS.filter((m) => m.version < 2))
  await pool.query("INSERT INTO customers (id, name, labels, attributes, consent, created_at, updated_at, last_activity_at) VALUES ('cu', 'Ann', '[]', '{}', '{}', 1, 1, 1)")
  const conversation = `INSERT INTO conversations (id, customer_id, channel, inbox, subject, status, thread_key, labels, last_message_at, created_at, updated_at)
    VALUES ($1, 'cu', 'sms', 'SMS', NULL, $2, 'sms:SMS:cu:SM1', '[]', $3, $4, $4)`
  // Two conversations once shared a key: the newer one kept receiving, so it keeps it.
  await pool.query(conversation, ['older', 'resolved', 5, 1])
  await pool.query(conversation, ['newer', 'open', 9, 2])
  const change = "INSERT INTO changes (seq, entity, entity_id, op, data, inbox, created_at) VALUES ($1, $2, $3, 'upsert', $4, 'SMS', 1)"
  await pool.query(change, [1, 'conversation', 'newer', JSON.stringify({ id: 'newer', status: 'open' })])
  await pool.query(change, [2, 'note', 'n1', JSON.stringify({ id: 'n1', text: 'hi' })])

  const store = await openPostgresStore(database.url)
  try {
    expect((await store.conversationByThreadKey('sms', 'sms:SMS:cu:SM1'))?.id).toBe('newer')
    expect(await store.getConversation('older')).toMatchObject({ priority: 'normal', previousConversationId: null })
    expect((await store.latestConversationOnChannel('cu', 'sms', 'SMS'))?.id).toBe('newer')
    const { changes } = await store.changesAfter(0, 10, null)
    expect(changes.map((c) => c.data)).toEqual([
      { id: 'newer', status: 'open', priority: 'normal', previousConversationId: null },
      { id: 'n1', text: 'hi', mentions: [] },
    ])
  } finally {
    await store.close()
  }
})
