import pg from 'pg'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../../tests/support/postgres'
import { systemActor } from '../../../shared/actors'
import { MIGRATIONS, migrate } from './migrations'
import { openPostgresStore } from './postgres-store'

/** Upgrading a PostgreSQL store that holds data: what SQLite's migration tests check, on PostgreSQL. */

const ACTOR = systemActor('test')

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

it('keeps answering on a node that prepared its statements before another node’s migration changed a table', async () => {
  const store = await openPostgresStore(database.url)
  try {
    const ann = { id: 'cu', name: 'Ann', labels: [], attributes: {}, consent: {}, createdAt: 1, updatedAt: 1, lastActivityAt: 1 }
    await store.write((w) => w.put('customer', ann), ACTOR)
    // Run often enough that PostgreSQL keeps the statement's plan.
    for (let i = 0; i < 6; i++) expect(await store.getCustomer('cu')).toMatchObject({ name: 'Ann' })
    // A newer version's migration, run by another node, adds a column the statement reads.
    await pool.query('ALTER TABLE customers ADD COLUMN added_by_a_newer_version TEXT')
    expect(await store.getCustomer('cu')).toMatchObject({ name: 'Ann' })
    // A write whose statement was prepared before fails once at most (its transaction is aborted), then runs.
    const renamed = { ...ann, name: 'Ann B', updatedAt: 2 }
    const runs: string[] = []
    while (runs.length < 2 && runs.at(-1) !== 'stored') {
      runs.push(await store.write((w) => w.put('customer', renamed), ACTOR).then(() => 'stored', (err: Error) => err.message))
    }
    expect(runs.at(-1)).toBe('stored')
    for (const failed of runs.slice(0, -1)) expect(failed).toMatch(/cached plan must not change result type/)
    expect(await store.getCustomer('cu')).toMatchObject({ name: 'Ann B' })
  } finally {
    await store.close()
  }
})
