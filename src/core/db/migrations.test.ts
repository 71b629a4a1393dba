import BetterSqlite3 from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { databaseFiles, leaveWorldReadableDatabase, modeOf } from '../../../tests/support/file-modes'
import { conversation, customer, message, note, reportingEvent, tempDir } from '../testing/fixtures'
import { beginBulkLoad, finishBulkLoad } from './bulk-load'
import { dropCustomer } from './erasure'
import { CacheVersionError, LATEST_VERSION, migrate, MIGRATIONS, NOT_WAITING } from './migrations'
import { CACHE_FILE, CacheOwnerError, openCache } from './open'
import { SEARCH_SLOTS } from './search-index'
import { countUnreadMentions, getEntity, getSyncMeta, insertOutbox, searchIndex, upsertServerEntity } from './queries'
import { liveFigurePage, liveQueues } from './report-queries'
import { countMatching } from './view-queries'
import type { Summary } from '../../shared/domain'
import type { ReportingEvent } from '../../shared/reporting/events'

let dir: ReturnType<typeof tempDir>
beforeEach(() => {
  dir = tempDir()
})
afterEach(() => dir.remove())

const SERVER = 'http://127.0.0.1:4100'

/** A cache at `version` holding an open, unassigned SMS conversation with the message m1, "Where is my parcel?", sent at `at`. */
function cacheWithParcel(version: number, at: number): BetterSqlite3.Database {
  const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
  migrate(raw, `v${version}`, MIGRATIONS.slice(0, version))
  raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
  upsertServerEntity(raw, 'customer', customer('c1'))
  upsertServerEntity(raw, 'conversation', conversation('v1', 'c1', { channel: 'sms', status: 'open', assigneeId: null }))
  upsertServerEntity(raw, 'message', { ...message('m1', conversation('v1', 'c1'), at), text: 'Where is my parcel?' })
  return raw
}

/** How many indexes named `name` a cache has built (sqlite_master) or left for the end of a fill (suspended_indexes). */
function indexCount(db: BetterSqlite3.Database, table: 'sqlite_master' | 'suspended_indexes', name: string): number {
  return db.prepare(`SELECT count(*) FROM ${table} WHERE name = ?`).pluck().get(name) as number
}

/** A first sync cut short at `version`: the upgrade leaves `index` to the end of the fill, which builds it. */
function expectBuiltAtEndOfFill(version: number, index: string): void {
  const other = tempDir(`threadline-v${version}-`)
  try {
    const filling = new BetterSqlite3(join(other.path, CACHE_FILE))
    migrate(filling, `v${version}`, MIGRATIONS.slice(0, version))
    filling.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    beginBulkLoad(filling)
    filling.close()
    const resumed = openCache(other.path, SERVER)
    expect([indexCount(resumed, 'sqlite_master', index), indexCount(resumed, 'suspended_indexes', index)]).toEqual([0, 1])
    finishBulkLoad(resumed)
    expect([indexCount(resumed, 'sqlite_master', index), indexCount(resumed, 'suspended_indexes', index)]).toEqual([1, 0])
    resumed.close()
  } finally {
    other.remove()
  }
}

describe('cache migrations', () => {
  it('creates a WAL cache with every migration recorded and STRICT tables', () => {
    const db = openCache(dir.path, SERVER)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version))
    const tables = db.prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type <> 'view' AND name NOT LIKE 'sqlite_%'`).all() as {
      name: string
      strict: number
    }[]
    // FTS5's own tables cannot be STRICT; every table of ours is.
    const ours = tables.filter((t) => !t.name.startsWith('search_index'))
    expect(ours.map((t) => t.name).sort()).toEqual(
      [
        'calls', 'canned_responses', 'conversation_counts', 'conversation_labels', 'conversation_listing_changes', 'conversations', 'customers', 'drafts', 'listing_reloads', 'events', 'identities', 'messages', 'notes', 'outbox',
        'mention_reads', 'note_mentions', 'read_markers', 'reporting_event_block_customers', 'reporting_event_blocks', 'reporting_event_rewrites', 'reporting_events', 'saved_views', 'schema_migrations', 'search_keys', 'search_retag', 'summaries', 'summary_ratings', 'suspended_indexes', 'sync_meta', 'users',
      ].sort(),
    )
    expect(ours.filter((t) => t.strict !== 1)).toEqual([])
    expect(tables.map((t) => t.name)).toContain('search_index')
    // Migration 5 seeds the canned responses the composer offers on a fresh install.
    expect((db.prepare('SELECT shortcut FROM canned_responses ORDER BY shortcut').all() as { shortcut: string }[]).map((r) => r.shortcut)).toEqual([
      'followup', 'hi', 'looking', 'thanks',
    ])
    const meta = getSyncMeta(db)
    expect(meta?.cursor).toBe(0)
    expect(meta?.clientId).toMatch(/^[0-9a-f-]{36}$/)
    db.close()
  })

  it('reopening keeps the data and the client id and applies nothing twice', () => {
    const first = openCache(dir.path, SERVER)
    upsertServerEntity(first, 'customer', customer('c1'))
    const clientId = getSyncMeta(first)?.clientId
    first.close()
    const again = openCache(dir.path, SERVER)
    expect(getSyncMeta(again)?.clientId).toBe(clientId)
    expect(again.prepare('SELECT count(*) FROM customers').pluck().get()).toBe(1)
    expect(again.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length)
    again.close()
  })

  it('upgrades a version 1 cache with data: inbox columns filled, everything searchable', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v1', MIGRATIONS.slice(0, 1))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url) VALUES (1, 7, 'client-1', ?)`).run(SERVER)
    const conv = conversation('v1', 'c1', { channel: 'sms', team: 'Billing', waitingSince: 42 })
    raw.prepare(`INSERT INTO customers (id, name, last_activity_at, json) VALUES ('c1', 'Greta Holm', 1, ?)`).run(JSON.stringify(customer('c1', { name: 'Greta Holm' })))
    raw.prepare(`INSERT INTO conversations (id, customer_id, status, assignee_id, last_message_at, json) VALUES ('v1', 'c1', 'open', NULL, 1, ?)`).run(JSON.stringify(conv))
    raw.prepare(`INSERT INTO messages (id, conversation_id, customer_id, at, json) VALUES ('m1', 'v1', 'c1', 1, ?)`).run(
      JSON.stringify({ id: 'm1', text: 'Where is my parcel?', subject: null }),
    )
    raw.close()

    const db = openCache(dir.path, SERVER)
    expect(db.prepare('SELECT channel, team, wait_order FROM conversations').get()).toEqual({ channel: 'sms', team: 'Billing', wait_order: 42 })
    expect(db.prepare(`SELECT d.kind, d.ref_id FROM search_index s JOIN search_documents d ON d.key = s.rowid WHERE search_index MATCH 'parcel OR greta' ORDER BY d.kind`).all()).toEqual([
      { kind: 'customer', ref_id: 'c1' },
      { kind: 'message', ref_id: 'm1' },
    ])
    expect(getSyncMeta(db)?.cursor).toBe(7)
    db.close()
  })

  it('upgrades a version 6 cache: server copies read the same, search filters by conversation', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v6', MIGRATIONS.slice(0, 6))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url) VALUES (1, 9, 'client-1', ?)`).run(SERVER)
    const conv = conversation('v1', 'c1', { channel: 'email' })
    const json = JSON.stringify(conv)
    const optimistic = JSON.stringify({ ...conv, status: 'resolved' })
    raw.prepare(`INSERT INTO conversations (id, customer_id, status, assignee_id, last_message_at, channel, json, server_json) VALUES ('v1', 'c1', 'resolved', NULL, 1, 'email', ?, ?)`).run(optimistic, json)
    raw.prepare(`INSERT INTO messages (id, conversation_id, customer_id, at, json, server_json) VALUES ('m1', 'v1', 'c1', 1, ?, ?)`).run(
      JSON.stringify({ id: 'm1', text: 'Where is my parcel?', subject: null }),
      JSON.stringify({ id: 'm1', text: 'Where is my parcel?', subject: null }),
    )
    raw.prepare(`INSERT INTO messages (id, conversation_id, customer_id, at, json, server_json) VALUES ('r1', 'v1', 'c1', 2, ?, NULL)`).run(
      JSON.stringify({ id: 'r1', text: 'Your parcel left today', subject: null }),
    )
    raw.close()

    const db = openCache(dir.path, SERVER)
    expect(getEntity(db, 'conversation', 'v1')).toEqual({ current: JSON.parse(optimistic), server: conv })
    expect(getEntity(db, 'message', 'm1')?.server).toMatchObject({ id: 'm1', text: 'Where is my parcel?', subject: null })
    expect(getEntity(db, 'message', 'r1')?.server).toBeNull()
    expect(searchIndex(db, { query: '"parcel"*', limit: 10, status: 'resolved', channel: 'email' }).map((r) => r.refId)).toEqual(['r1', 'm1'])
    expect(searchIndex(db, { query: '"parcel"*', limit: 10, status: 'open' })).toEqual([])
    db.close()
  })

  it('upgrades a version 9 cache: conversations gain priority and what they continue, notes their mentions', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v9', MIGRATIONS.slice(0, 9))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url) VALUES (1, 9, 'client-1', ?)`).run(SERVER)
    const { priority: _p, previousConversationId: _c, ...old } = conversation('v1', 'c1', { channel: 'sms' })
    const insertConversation = raw.prepare(
      `INSERT INTO conversations (id, customer_id, status, assignee_id, last_message_at, channel, json, server_json) VALUES (?, 'c1', 'open', NULL, 1, 'sms', ?, ?)`,
    )
    // v1: synced; v2: an optimistic change over the server's copy; v3: only local; v4: already holds the fields.
    insertConversation.run('v1', JSON.stringify(old), null)
    insertConversation.run('v2', JSON.stringify({ ...old, id: 'v2', status: 'resolved' }), JSON.stringify({ ...old, id: 'v2' }))
    insertConversation.run('v3', JSON.stringify({ ...old, id: 'v3' }), 'null')
    insertConversation.run('v4', JSON.stringify({ ...old, id: 'v4', priority: 'urgent', previousConversationId: 'v1' }), null)
    const { mentions: _m, ...oldNote } = note('n1', conversation('v1', 'c1'), 5)
    raw.prepare(`INSERT INTO notes (id, conversation_id, customer_id, at, json, server_json) VALUES ('n1', 'v1', 'c1', 5, ?, NULL)`).run(JSON.stringify(oldNote))
    raw.close()

    const db = openCache(dir.path, SERVER)
    expect(getEntity(db, 'conversation', 'v1')).toEqual({ current: { ...old, priority: 'normal', previousConversationId: null }, server: { ...old, priority: 'normal', previousConversationId: null } })
    expect(getEntity(db, 'conversation', 'v2')).toEqual({
      current: { ...old, id: 'v2', status: 'resolved', priority: 'normal', previousConversationId: null },
      server: { ...old, id: 'v2', priority: 'normal', previousConversationId: null },
    })
    expect(getEntity(db, 'conversation', 'v3')).toEqual({ current: { ...old, id: 'v3', priority: 'normal', previousConversationId: null }, server: null })
    expect(getEntity(db, 'conversation', 'v4')?.current).toMatchObject({ priority: 'urgent', previousConversationId: 'v1' })
    expect(getEntity(db, 'note', 'n1')?.current).toEqual({ ...oldNote, mentions: [] })
    // The column holds the rank, and later writes keep it.
    expect(db.prepare('SELECT id, priority FROM conversations ORDER BY id').all()).toEqual([
      { id: 'v1', priority: 1 },
      { id: 'v2', priority: 1 },
      { id: 'v3', priority: 1 },
      { id: 'v4', priority: 3 },
    ])
    upsertServerEntity(db, 'conversation', conversation('v5', 'c1', { priority: 'high' }))
    expect(db.prepare(`SELECT priority FROM conversations WHERE id = 'v5'`).pluck().get()).toBe(2)
    expect(db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM conversations WHERE status = 'open' ORDER BY priority DESC, last_message_at DESC, rowid DESC`).all())
      .toEqual([expect.objectContaining({ detail: expect.stringContaining('idx_conversations_status_priority_activity') })])
    db.close()
  })

  it('upgrades a version 10 cache: the mentions its notes already hold are listed, unread', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v10', MIGRATIONS.slice(0, 10))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    const v1 = conversation('v1', 'c1')
    const insertNote = raw.prepare(`INSERT INTO notes (id, conversation_id, customer_id, at, json, server_json) VALUES (?, 'v1', 'c1', ?, ?, NULL)`)
    insertNote.run('n1', 5, JSON.stringify(note('n1', v1, 5, { mentions: ['me', 'u2'] })))
    insertNote.run('n2', 6, JSON.stringify(note('n2', v1, 6)))
    raw.close()

    const db = openCache(dir.path, SERVER)
    expect(db.prepare('SELECT user_id, at, note_id FROM note_mentions ORDER BY user_id').all()).toEqual([
      { user_id: 'me', at: 5, note_id: 'n1' },
      { user_id: 'u2', at: 5, note_id: 'n1' },
    ])
    expect(countUnreadMentions(db, 'me')).toBe(1)
    db.close()
  })

  it('upgrades a version 16 cache: its reporting events are read from their columns alone, and a change to one is counted', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v16', MIGRATIONS.slice(0, 16))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    const event: ReportingEvent = {
      id: 'r1', kind: 'resolved', conversationId: 'v1', customerId: 'c1', inbox: 'Support', channel: 'email', team: null, agentId: 'u1',
      at: 5_000, calendarMs: 4_000, businessMs: 1_000, afterHours: true, fromChannel: null, rating: null, slaTarget: null,
    }
    raw
      .prepare(
        `INSERT INTO reporting_events (id, at, kind, conversation_id, customer_id, inbox, channel, team, agent_id, calendar_ms, business_ms, after_hours, from_channel, rating, sla_target, json, server_json)
         VALUES ('r1', 5000, 'resolved', 'v1', 'c1', 'Support', 'email', NULL, 'u1', 4000, 1000, 1, NULL, NULL, NULL, ?, NULL)`,
      )
      .run(JSON.stringify(event))
    raw.close()

    const db = openCache(dir.path, SERVER)
    expect(getEntity(db, 'reportingEvent', 'r1')).toEqual({ current: event, server: event })
    expect((db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('reporting_events') as string[]).filter((c) => c.includes('json'))).toEqual([])
    const rewrites = () => db.prepare('SELECT count FROM reporting_event_rewrites').pluck().get()
    expect(rewrites()).toBe(0)
    db.prepare('UPDATE reporting_events SET customer_id = NULL').run()
    expect(rewrites()).toBe(1)
    db.close()
  })

  it('upgrades a version 18 cache: conversations gain their inbox and subject as columns, which the live queues read', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v18', MIGRATIONS.slice(0, 18))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    const insertConversation = raw.prepare(
      `INSERT INTO conversations (id, customer_id, status, assignee_id, last_message_at, channel, wait_order, json, server_json) VALUES (?, 'c1', ?, NULL, 1, 'sms', ?, ?, NULL)`,
    )
    insertConversation.run('v1', 'open', 42, JSON.stringify(conversation('v1', 'c1', { channel: 'sms', inbox: 'Billing', subject: 'Refund', waitingSince: 42 })))
    insertConversation.run('v2', 'resolved', NOT_WAITING, JSON.stringify(conversation('v2', 'c1', { channel: 'sms', inbox: 'Sales', status: 'resolved' })))
    raw.close()

    const db = openCache(dir.path, SERVER)
    expect(db.prepare('SELECT id, inbox, subject FROM conversations ORDER BY id').all()).toEqual([
      { id: 'v1', inbox: 'Billing', subject: 'Refund' },
      { id: 'v2', inbox: 'Sales', subject: null },
    ])
    expect(liveQueues(db, 100).byInbox.map((r) => [r.key, r.counts.open, r.counts.waiting])).toEqual([['Billing', 1, 1]])
    expect(liveFigurePage(db, { dimension: 'inbox', key: 'Billing', state: 'waiting' }, { offset: 0, limit: 100 }, 100).rows).toEqual([
      { conversationId: 'v1', customerId: 'c1', customerName: null, subject: 'Refund', channel: 'sms', inbox: 'Billing', status: 'open', assigneeId: null, waitingSince: 42 },
    ])
    db.close()
  })

  it('upgrades a version 19 cache: the labels its conversations already hold filter saved views, and follow later changes', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v19', MIGRATIONS.slice(0, 19))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    const insertConversation = raw.prepare(
      `INSERT INTO conversations (id, customer_id, status, assignee_id, last_message_at, channel, inbox, wait_order, json, server_json) VALUES (?, 'c1', 'open', NULL, 1, 'sms', 'SMS', ?, ?, NULL)`,
    )
    insertConversation.run('v1', NOT_WAITING, JSON.stringify(conversation('v1', 'c1', { channel: 'sms', inbox: 'SMS', labels: ['refund', 'vip'] })))
    insertConversation.run('v2', NOT_WAITING, JSON.stringify(conversation('v2', 'c1', { channel: 'sms', inbox: 'SMS', labels: ['vip'] })))
    raw.close()

    const db = openCache(dir.path, SERVER)
    const count = (labels: string[]) => countMatching(db, { labels }, { userId: 'me', now: 0 })
    expect([count(['refund']), count(['vip']), count(['refund', 'vip']), count(['spam'])]).toEqual([1, 2, 2, 0])
    upsertServerEntity(db, 'conversation', conversation('v1', 'c1', { channel: 'sms', inbox: 'SMS', labels: ['spam'] }))
    expect([count(['refund']), count(['vip']), count(['spam'])]).toEqual([0, 1, 1])
    db.close()
  })

  it('upgrades a version 20 cache: its search index keeps the words without a second copy of the text', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v20', MIGRATIONS.slice(0, 20))
    // Migration 7 builds the index of this version: the table is swapped for the one version 20 had, empty as the rows are added after.
    raw.exec(`DROP VIEW search_documents; DROP TABLE search_index;
      CREATE VIRTUAL TABLE search_index USING fts5(title, body, tags,
        kind UNINDEXED, ref_id UNINDEXED, customer_id UNINDEXED, conversation_id UNINDEXED, at UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', columnsize = 0)`)
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    raw.prepare(`INSERT INTO messages (id, conversation_id, customer_id, at, json) VALUES ('m1', 'v1', 'c1', 5, ?)`).run(
      JSON.stringify({ id: 'm1', text: 'Where is my parcel?', subject: 'Order 4411' }),
    )
    raw.close()

    const db = openCache(dir.path, SERVER)
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'search_index_content'`).pluck().get()).toBe(0)
    expect(searchIndex(db, { query: '"parcel"*', limit: 10 })).toMatchObject([
      { kind: 'message', refId: 'm1', customerId: 'c1', conversationId: 'v1', at: 5, title: 'Order 4411', body: 'Where is my parcel?' },
    ])
    db.close()
  })

  it('upgrades a version 23 cache whose first sync was cut short: the index of events by time is neither kept nor built at its end', () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v23', MIGRATIONS.slice(0, 23))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    beginBulkLoad(raw)
    expect(raw.prepare("SELECT count(*) FROM suspended_indexes WHERE name = 'idx_reporting_events_at'").pluck().get()).toBe(1)
    raw.close()

    // The fill goes on after the upgrade, and builds its indexes at its end: this one no longer.
    const db = openCache(dir.path, SERVER)
    expect(db.prepare("SELECT name FROM suspended_indexes WHERE name LIKE 'idx_reporting_events%'").pluck().all()).toEqual(['idx_reporting_events_customer'])
    finishBulkLoad(db)
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reporting_events' AND sql IS NOT NULL").pluck().all()
    expect(indexes).toEqual(['idx_reporting_events_customer'])
    db.close()
  })

  it('upgrades a version 24 cache: the inbox indexes and a conversation\'s messages and calls lose the id, built or suspended mid-fill alike', () => {
    const inboxIndexes = (d: BetterSqlite3.Database, table: 'sqlite_master' | 'suspended_indexes'): Map<string, string> =>
      new Map(
        d
          .prepare(`SELECT name, sql FROM ${table} WHERE (name GLOB 'idx_conversations_*' OR name IN ('idx_messages_conversation', 'idx_calls_conversation')) AND sql IS NOT NULL`)
          .raw()
          .all() as [string, string][],
      )
    const withoutId = (indexes: Map<string, string>): string[] => [...indexes].filter(([, sql]) => !/\bid\)$/.test(sql)).map(([name]) => name)
    const built = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(built, 'v24', MIGRATIONS.slice(0, 24))
    const before = inboxIndexes(built, 'sqlite_master')
    built.close()
    const db = openCache(dir.path, SERVER)
    const after = inboxIndexes(db, 'sqlite_master')
    expect([...after.keys()].sort()).toEqual([...before.keys(), 'idx_conversations_assignee_unread'].sort())
    expect(withoutId(after)).toEqual([...after.keys()])
    expect(after.get('idx_conversations_assignee_status_activity')).toMatch(/\(assignee_id, status, last_message_at\)$/)
    expect(after.get('idx_messages_conversation')).toMatch(/ON messages \(conversation_id, at\)$/)
    expect(after.get('idx_calls_conversation')).toMatch(/ON calls \(conversation_id, at\)$/)
    // The supervisors' live list keeps the id it shows (a covering index, id in the middle).
    expect(after.get('idx_conversations_live_list')).toBe(before.get('idx_conversations_live_list'))
    db.close()

    const other = tempDir('threadline-v24-')
    try {
      const filling = new BetterSqlite3(join(other.path, CACHE_FILE))
      migrate(filling, 'v24', MIGRATIONS.slice(0, 24))
      filling.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
      beginBulkLoad(filling)
      filling.close()
      const resumed = openCache(other.path, SERVER)
      expect(inboxIndexes(resumed, 'sqlite_master').size).toBe(0)
      const suspended = inboxIndexes(resumed, 'suspended_indexes')
      expect(withoutId(suspended)).toEqual([...suspended.keys()])
      finishBulkLoad(resumed)
      expect([...inboxIndexes(resumed, 'sqlite_master').keys()].sort()).toEqual([...after.keys()].sort())
      resumed.close()
    } finally {
      other.remove()
    }
  })

  it('upgrades a version 25 cache: its search index is built again with the one-character filter tokens', () => {
    const raw = cacheWithParcel(25, 5)
    // The entry as version 25 tagged it: a private-use character and a letter before each value.
    const key = raw.prepare(`SELECT key FROM search_keys WHERE src % 4 = 0`).pluck().get() as number
    raw.prepare('DELETE FROM search_index WHERE rowid = ?').run(key)
    raw
      .prepare('INSERT INTO search_index (rowid, title, body, tags) VALUES (?, ?, ?, ?)')
      .run(key, '', 'Where is my parcel?', '\uE000kmessage \uE000csms \uE000sopen \uE000u')
    raw.close()

    const db = openCache(dir.path, SERVER)
    const found = (filters: Omit<Parameters<typeof searchIndex>[1], 'query' | 'limit'>) =>
      searchIndex(db, { query: '"parcel"*', limit: 10, ...filters }).map((r) => r.refId)
    expect(found({ kinds: ['message'] })).toEqual(['m1'])
    expect(found({ channel: 'sms', status: 'open', assigneeId: null })).toEqual(['m1'])
    expect(found({ status: 'resolved' })).toEqual([])
    db.close()
  })

  it("upgrades a version 26 cache: its reporting events stay rows, and the index of blocks by customer is built now or at the end of a fill cut short", () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v26', MIGRATIONS.slice(0, 26))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    raw
      .prepare(
        `INSERT INTO reporting_events (id, at, kind, conversation_id, customer_id, inbox, channel, team, agent_id, calendar_ms, business_ms, after_hours, from_channel, rating, sla_target)
         VALUES ('e1', 5, 'conversation_created', 'v1', 'c1', 'Support email', 'email', NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL)`,
      )
      .run()
    raw.close()
    const db = openCache(dir.path, SERVER)
    expect(indexCount(db, 'sqlite_master', 'idx_reporting_event_block_customers')).toBe(1)
    expect(getEntity(db, 'reportingEvent', 'e1')?.current).toMatchObject({ id: 'e1', customerId: 'c1' })
    db.close()

    expectBuiltAtEndOfFill(26, 'idx_reporting_event_block_customers')
  })

  it("upgrades a version 27 cache: its blocks of events, kept as JSON, read the same as bytes, and an erasure still reaches them", () => {
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    migrate(raw, 'v27', MIGRATIONS.slice(0, 27))
    raw.prepare(`INSERT INTO sync_meta (id, cursor, client_id, server_url, user_id) VALUES (1, 9, 'client-1', ?, 'me')`).run(SERVER)
    const created = reportingEvent('0190f0a2-7c4e-7d3b-9f10-2b7d5c1e8a01', { kind: 'conversation_created', calendarMs: null, businessMs: null, customerId: 'c1' })
    const rated = reportingEvent('e2', { kind: 'csat_answered', rating: 4, afterHours: true, customerId: 'c2', agentId: null })
    // Version 27's form: ids apart, each field a list of values or its distinct values and positions.
    const fields = {
      kind: { values: ['conversation_created', 'csat_answered'], of: [0, 1] },
      conversationId: { values: ['v1'], of: [0, 0] },
      customerId: { values: ['c1', 'c2'], of: [0, 1] },
      inbox: { values: ['Support email'], of: [0, 0] },
      channel: { values: ['email'], of: [0, 0] },
      team: { values: [null], of: [0, 0] },
      agentId: { values: ['u1', null], of: [0, 1] },
      at: [1_000, 1_000],
      calendarMs: [null, 60_000],
      businessMs: [null, 30_000],
      afterHours: [false, true],
      fromChannel: { values: [null], of: [0, 0] },
      rating: [null, 4],
      slaTarget: { values: [null], of: [0, 0] },
    }
    const blockId = raw
      .prepare('INSERT INTO reporting_event_blocks (first_id, last_id, count, ids, events) VALUES (?, ?, 2, ?, ?)')
      .run(created.id, rated.id, JSON.stringify([created.id, rated.id]), JSON.stringify(fields)).lastInsertRowid
    raw.prepare('INSERT INTO reporting_event_block_customers (customer_id, block_id) VALUES (?, ?), (?, ?)').run('c1', blockId, 'c2', blockId)
    raw.close()
    const db = openCache(dir.path, SERVER)
    expect(getEntity(db, 'reportingEvent', created.id)?.current).toEqual(created)
    expect(getEntity(db, 'reportingEvent', rated.id)?.current).toEqual(rated)
    expect(db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('reporting_event_blocks')).toEqual(['id', 'first_id', 'last_id', 'count', 'bytes'])
    expect(dropCustomer(db, 'c2')).toBe(true)
    expect(getEntity(db, 'reportingEvent', rated.id)?.current).toEqual({ ...rated, customerId: null })
    db.close()
  })

  it('upgrades a version 28 cache: its search index is keyed again with 256 keys per millisecond, so a date range finds what it holds', () => {
    const raw = cacheWithParcel(28, 5_000)
    // The entry as version 28 keyed it: 2^20 keys per millisecond.
    const oldKey = 5_000 * 2 ** 20
    raw.exec('DELETE FROM search_index WHERE rowid = (SELECT key FROM search_keys WHERE src % 4 = 0)')
    raw.prepare('UPDATE search_keys SET key = ? WHERE src % 4 = 0').run(oldKey)
    raw.prepare('INSERT INTO search_index (rowid, title, body, tags) VALUES (?, ?, ?, ?)').run(oldKey, '', 'Where is my parcel?', '\uE001 \uE013 \uE021 \uE030')
    raw.close()

    const db = openCache(dir.path, SERVER)
    expect(db.prepare('SELECT key FROM search_keys WHERE src % 4 = 0').pluck().get()).toBe(5_000 * SEARCH_SLOTS)
    const found = (filters: Omit<Parameters<typeof searchIndex>[1], 'query' | 'limit'>) =>
      searchIndex(db, { query: '"parcel"*', limit: 10, ...filters }).map((r) => r.refId)
    expect(found({ from: 4_000, to: 6_000 })).toEqual(['m1'])
    expect(found({ channel: 'sms', status: 'open', assigneeId: null })).toEqual(['m1'])
    expect(found({ from: 6_000 })).toEqual([])
    db.close()
  })

  it('upgrades a version 29 cache: its summaries are deflated and read the same, server copies included, and their index is built now or at the end of a fill cut short', () => {
    const wrapUp: Summary = {
      id: 'wrap-v1', kind: 'wrap_up', customerId: 'c1', conversationId: 'v1', callId: null, text: 'Asked where the parcel is; we ship in 3 days.',
      facts: [{ kind: 'promise', text: 'We ship in 3 days.', sourceIds: ['m1'] }], provider: 'embedded', model: null, fallbackReason: null,
      coversItemId: 'm1', coversThrough: 5_000, itemCount: 1, inboxes: ['Support email'], generatedAt: 6_000,
    }
    const onDevice: Summary = { ...wrapUp, text: 'Asked where the parcel is.', generatedAt: 7_000, updatedOnDevice: true }
    const raw = cacheWithParcel(29, 5_000)
    // Version 29's form: the JSON as text, and a local version over the server's copy.
    const insert = raw.prepare(`INSERT INTO summaries (id, customer_id, kind, at, json, server_json) VALUES (?, 'c1', ?, ?, ?, ?)`)
    insert.run(wrapUp.id, wrapUp.kind, wrapUp.coversThrough, JSON.stringify(onDevice), JSON.stringify(wrapUp))
    const story: Summary = { ...wrapUp, id: 'story-c1', kind: 'customer_story', conversationId: null }
    insert.run(story.id, story.kind, null, JSON.stringify(story), null)
    raw.close()
    const db = openCache(dir.path, SERVER)
    expect(getEntity(db, 'summary', wrapUp.id)).toEqual({ current: onDevice, server: wrapUp })
    expect(getEntity(db, 'summary', story.id)).toEqual({ current: story, server: story })
    expect(db.prepare('SELECT typeof(json) FROM summaries').pluck().all()).toEqual(['blob', 'blob'])
    expect(indexCount(db, 'sqlite_master', 'idx_summaries_timeline')).toBe(1)
    db.close()

    expectBuiltAtEndOfFill(29, 'idx_summaries_timeline')
  })

  it('refuses a cache written by a newer version with a clear error', () => {
    openCache(dir.path, SERVER).close()
    const raw = new BetterSqlite3(join(dir.path, CACHE_FILE))
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(LATEST_VERSION + 1, 'future', 1)
    raw.close()
    expect(() => openCache(dir.path, SERVER)).toThrow(CacheVersionError)
    expect(() => openCache(dir.path, SERVER)).toThrow(/newer version of Threadline/)
  })

  it('refuses a cache whose recorded migrations have a gap', () => {
    const db = new BetterSqlite3(':memory:')
    const steps = [
      { version: 1, name: 'one', up: () => {} },
      { version: 2, name: 'two', up: () => {} },
    ]
    migrate(db, 'memory', steps)
    db.prepare('DELETE FROM schema_migrations WHERE version = 1').run()
    expect(() => migrate(db, 'memory', steps)).toThrow(/cannot be upgraded safely/)
  })

  it('a failing migration leaves the cache at the previous version', () => {
    const db = new BetterSqlite3(':memory:')
    const steps = [
      { version: 1, name: 'one', up: (d: BetterSqlite3.Database) => d.exec('CREATE TABLE a (x INTEGER) STRICT') },
      {
        version: 2,
        name: 'two',
        up: (d: BetterSqlite3.Database) => {
          d.exec('CREATE TABLE b (x INTEGER) STRICT')
          throw new Error('boom')
        },
      },
    ]
    expect(() => migrate(db, 'memory', steps)).toThrow('boom')
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1])
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'b'`).pluck().get()).toBe(0)
  })
})

describe('cache ownership', () => {
  it('starts afresh when opened for another server', () => {
    const db = openCache(dir.path, SERVER)
    upsertServerEntity(db, 'customer', customer('c1'))
    const clientId = getSyncMeta(db)?.clientId
    db.close()
    const other = openCache(dir.path, 'http://other.example:4100')
    expect(other.prepare('SELECT count(*) FROM customers').pluck().get()).toBe(0)
    const meta = getSyncMeta(other)
    expect(meta?.serverUrl).toBe('http://other.example:4100')
    expect(meta?.clientId).not.toBe(clientId)
    other.close()
  })

  it('refuses to drop unsent actions queued for another server', () => {
    const db = openCache(dir.path, SERVER)
    const conv = conversation('v1', 'c1')
    upsertServerEntity(db, 'conversation', conv)
    insertOutbox(db, { name: 'setStatus', args: { conversationId: 'v1', status: 'resolved' }, conversationId: 'v1', itemId: null, createdAt: 5 })
    db.close()
    expect(() => openCache(dir.path, 'http://other.example:4100')).toThrow(CacheOwnerError)
    expect(() => openCache(dir.path, 'http://other.example:4100')).toThrow(/1 action\(s\) that never reached it/)
    // Still intact for its own server.
    const own = openCache(dir.path, SERVER)
    expect(own.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1)
    own.close()
  })
})

describe('cache durability', () => {
  it('syncs every commit to disk, so an action shown from the outbox survives a power cut', () => {
    const db = openCache(join(dir.path, 'durable'), SERVER)
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      // 2 is FULL: NORMAL (1) may lose the last commits in WAL mode when the power goes.
      expect(db.pragma('synchronous', { simple: true })).toBe(2)
    } finally {
      db.close()
    }
  })
})

describe('cache file permissions', () => {
  it('creates the data folder and the cache readable by their owner only', () => {
    const dataDir = join(dir.path, 'data')
    const db = openCache(dataDir, SERVER)
    try {
      expect(modeOf(dataDir)).toBe('700')
      expect(databaseFiles(join(dataDir, CACHE_FILE)).map(modeOf)).toEqual(['600', '600', '600'])
    } finally {
      db.close()
    }
  })

  it('narrows a cache an older version left readable by everyone', () => {
    const file = join(dir.path, CACHE_FILE)
    const closeOld = leaveWorldReadableDatabase(file)
    try {
      openCache(dir.path, SERVER).close()
      expect(databaseFiles(file).map(modeOf)).toEqual(['600', '600', '600'])
    } finally {
      closeOld()
    }
  })
})
