import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { databaseFiles, leaveWorldReadableDatabase, modeOf } from '../../../../tests/support/file-modes'
import { systemActor } from '../../../shared/actors'
import { NewerDatabaseError } from '../errors'
import { MIGRATIONS, migrate } from './migrations'
import { openSqliteDatabase, openSqliteStore } from './sqlite-store'

const ACTOR = systemActor('test')

let dir: string
let dbPath: string

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-store-'))
  dbPath = path.join(dir, 'server.sqlite')
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const customer = (id: string) => ({ id, name: id, labels: [], attributes: {}, consent: {}, createdAt: 1, updatedAt: 1, lastActivityAt: 1 })

/**
 * What only the SQLite store has: its file, its migrations, its busy timeout. The store's
 * contract, the same on every engine, is tested in ../store.test.ts.
 */
describe('sqlite store', () => {
  it('records its migrations and opens again without re-running them', async () => {
    await openSqliteStore(dbPath).close()
    await openSqliteStore(dbPath).close()
    const db = new Database(dbPath)
    const rows = db.prepare('SELECT version FROM schema_migrations').all()
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('syncs every commit to disk before it returns, so what the server acknowledged survives a power cut', () => {
    const db = openSqliteDatabase(dbPath)
    // 2 is FULL; NORMAL (1) in WAL mode syncs only at checkpoints.
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('refuses a database written by a newer server, with a clear error', async () => {
    await openSqliteStore(dbPath).close()
    const db = new Database(dbPath)
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('from the future')
    db.close()
    expect(() => openSqliteStore(dbPath)).toThrow(NewerDatabaseError)
    expect(() => openSqliteStore(dbPath)).toThrow(/schema version 999.*only knows versions up to \d+/)
  })

  it('files the dead letters of an older server under the inbox each can be told to belong to, and the rest under none', async () => {
    const db = new Database(dbPath)
    migrate(db, dbPath, MIGRATIONS.filter((m) => m.version < 12))
    const add = db.prepare("INSERT INTO dead_letters (kind, payload, error, attempts, next_attempt_at, created_at) VALUES (?, ?, 'failed', 1, 1, 1)")
    add.run('inbound', JSON.stringify({ channel: 'sms', inbox: ' sms-main ', externalId: 'a' }))
    add.run('inbound', JSON.stringify({ channel: 'email', externalId: 'b' }))
    add.run('inbound', JSON.stringify({ channel: 'email', inbox: 42, externalId: 'c' }))
    add.run('refused-webhook', JSON.stringify({ url: '/webhooks/wa-main/whatsapp?token=%20', body: '{not json' }))
    add.run('refused-webhook', JSON.stringify({ url: '/webhooks/sms%20main/sms', body: {} }))
    db.close()
    const store = openSqliteStore(dbPath)
    expect((await store.deadLetters(null, 10)).map((l) => l.inbox)).toEqual(['sms-main', 'default', null, 'wa-main', null])
    await store.close()
  })

  it('keeps every user, token and password of an older server when the users table is rebuilt for admins', async () => {
    const db = new Database(dbPath)
    db.pragma('foreign_keys = ON')
    migrate(db, dbPath, MIGRATIONS.filter((m) => m.version < 14))
    db.prepare("INSERT INTO users (id, name, email, role, team, inboxes, created_at) VALUES ('u1', 'Ann', 'ann@x.test', 'supervisor', 'Support', '[\"SMS\"]', 1)").run()
    db.prepare("INSERT INTO api_tokens (id, token_hash, user_id, label, created_at) VALUES ('t1', 'hash-1', 'u1', 'laptop', 1)").run()
    db.prepare("INSERT INTO user_passwords (user_id, hash, updated_at) VALUES ('u1', 'scrypt-hash', 1)").run()
    db.close()

    const store = openSqliteStore(dbPath)
    expect(await store.getUser('u1')).toMatchObject({ name: 'Ann', role: 'supervisor', team: 'Support', inboxes: ['SMS'] })
    expect((await store.apiTokenByHash('hash-1'))?.userId).toBe('u1')
    expect(await store.passwordHashOf('u1')).toBe('scrypt-hash')
    await store.close()
    const check = new Database(dbPath, { readonly: true })
    expect(check.pragma('foreign_key_check')).toEqual([])
    check.close()
  })

  it('gives an older server’s conversations their threads and its change log the new fields', async () => {
    const db = new Database(dbPath)
    migrate(db, dbPath, MIGRATIONS.filter((m) => m.version < 15))
    db.prepare("INSERT INTO customers (id, name, labels, attributes, consent, created_at, updated_at, last_activity_at) VALUES ('cu', 'Ann', '[]', '{}', '{}', 1, 1, 1)").run()
    const conversation = db.prepare(
      `INSERT INTO conversations (id, customer_id, channel, inbox, subject, status, thread_key, labels, last_message_at, created_at, updated_at)
       VALUES (?, 'cu', 'sms', 'SMS', NULL, ?, 'sms:SMS:cu:SM1', '[]', ?, ?, ?)`,
    )
    // Two conversations once shared a key: the newer one kept receiving, so it keeps it.
    conversation.run('older', 'resolved', 5, 1, 1)
    conversation.run('newer', 'open', 9, 2, 2)
    db.prepare("INSERT INTO changes (seq, entity, entity_id, op, data, inbox, created_at) VALUES (1, 'conversation', 'newer', 'upsert', ?, 'SMS', 1)").run(JSON.stringify({ id: 'newer', status: 'open' }))
    db.prepare("INSERT INTO changes (seq, entity, entity_id, op, data, inbox, created_at) VALUES (2, 'note', 'n1', 'upsert', ?, 'SMS', 1)").run(JSON.stringify({ id: 'n1', text: 'hi' }))
    db.close()

    const store = openSqliteStore(dbPath)
    expect((await store.conversationByThreadKey('sms', 'sms:SMS:cu:SM1'))?.id).toBe('newer')
    expect(await store.getConversation('older')).toMatchObject({ priority: 'normal', previousConversationId: null })
    expect((await store.latestConversationOnChannel('cu', 'sms', 'SMS'))?.id).toBe('newer')
    const { changes } = await store.changesAfter(0, 10, null)
    expect(changes.map((c) => c.data)).toEqual([
      { id: 'newer', status: 'open', priority: 'normal', previousConversationId: null },
      { id: 'n1', text: 'hi', mentions: [] },
    ])
    await store.close()
  })

  it('refuses an in-memory database with a clear error: reads and writes need two connections to one file', () => {
    expect(() => openSqliteStore(':memory:')).toThrow(/needs a database file/)
  })

  it('takes the write lock when a write begins, so another process writing meanwhile cannot make it fail', async () => {
    const store = openSqliteStore(dbPath)
    const other = new Database(dbPath)
    other.pragma('busy_timeout = 0')
    let otherWrote: boolean | null = null
    await store.write(async (w) => {
      // Read first, as the ingest does, then let another process (the CLI) try to write.
      await w.getCustomer('c1')
      try {
        other.prepare("INSERT INTO users (id, name, email, role, created_at) VALUES ('u-cli', 'Cli', 'cli@x.test', 'agent', 1)").run()
        otherWrote = true
      } catch {
        otherWrote = false
      }
      await w.put('customer', customer('c1'))
    }, ACTOR)
    // The other writer waited its turn (here: gave up at once) instead of breaking this write.
    expect(otherWrote).toBe(false)
    expect(await store.getCustomer('c1')).not.toBeNull()
    other.close()
    await store.close()
  })

  it('serves the hot reads from indexes', async () => {
    await openSqliteStore(dbPath).close()
    const db = new Database(dbPath, { readonly: true })
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ')
    expect(plan("SELECT * FROM conversations WHERE inbox = 'a' AND status = 'open' ORDER BY last_message_at DESC LIMIT 50")).toMatch(
      /USING INDEX conversations_inbox_status/,
    )
    expect(plan("SELECT * FROM messages WHERE conversation_id = 'c' ORDER BY sent_at, id LIMIT 50")).toMatch(/USING INDEX messages_conversation/)
    expect(plan('SELECT * FROM changes WHERE seq > 10 ORDER BY seq LIMIT 100')).toMatch(/USING INTEGER PRIMARY KEY/)
    expect(plan("SELECT * FROM messages WHERE channel = 'email' AND external_id = 'x'")).toMatch(/USING INDEX messages_external/)
    expect(plan("SELECT * FROM identities WHERE kind = 'email' AND address = 'x'")).toMatch(/USING INDEX sqlite_autoindex_identities/)
    db.close()
  })
})

describe('sqlite store file permissions', () => {
  it('creates the database folder and files readable by their owner only', async () => {
    const folder = path.join(dir, 'data')
    const file = path.join(folder, 'server.sqlite')
    const store = openSqliteStore(file)
    try {
      expect(modeOf(folder)).toBe('700')
      expect(databaseFiles(file).map(modeOf)).toEqual(['600', '600', '600'])
    } finally {
      await store.close()
    }
  })

  it('narrows a database an older version left readable by everyone', async () => {
    const closeOld = leaveWorldReadableDatabase(dbPath)
    try {
      await openSqliteStore(dbPath).close()
      expect(databaseFiles(dbPath).map(modeOf)).toEqual(['600', '600', '600'])
    } finally {
      closeOld()
    }
  })
})
