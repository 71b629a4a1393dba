import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { databaseFiles, leaveWorldReadableDatabase, modeOf } from '../../../../tests/support/file-modes'
import { connectorActor, integrationActor, systemActor } from '../../../shared/actors'
import { MIGRATIONS, migrate, NewerDatabaseError } from './migrations'
import type { Store, StoreWriter, StoredChange } from '../store'
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

  it('writes an entity and its change row in one transaction, or neither', async () => {
    const store = openSqliteStore(dbPath)
    const { changes } = await store.write((w) => w.put('customer', customer('c1')), ACTOR)
    expect(changes).toEqual([{ seq: 1, entity: 'customer', id: 'c1', op: 'upsert', data: customer('c1'), inbox: null, customerId: 'c1' }])
    await expect(
      store.write(async (w) => {
        await w.put('customer', customer('c2'))
        throw new Error('boom')
      }, ACTOR),
    ).rejects.toThrow('boom')
    expect(await store.getCustomer('c2')).toBeNull()
    expect(await store.lastSeq()).toBe(1)
    await store.close()
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

  it('refuses an entity that does not match its shared schema', async () => {
    const store = openSqliteStore(dbPath)
    await expect(store.write((w) => w.put('customer', { ...customer('c1'), name: 42 as unknown as string }), ACTOR)).rejects.toThrow()
    expect((await store.counts()).customers).toBe(0)
    await store.close()
  })

  it('records who made each change, and refuses a change nobody can be named for', async () => {
    const store = openSqliteStore(dbPath)
    await store.write((w) => w.put('customer', customer('c1')), ACTOR)
    await store.writeEach([
      { actor: integrationActor('zap'), run: (w) => w.put('customer', customer('c2')) },
      { actor: connectorActor('twilio-sms:SMS'), run: (w) => w.put('customer', customer('c3')) },
    ])
    await expect(store.write((w) => w.put('customer', customer('c4')))).rejects.toThrow(/without an actor/)
    await store.close()
    const db = new Database(dbPath, { readonly: true })
    expect(db.prepare('SELECT entity_id, actor FROM changes ORDER BY seq').all()).toEqual([
      { entity_id: 'c1', actor: ACTOR },
      { entity_id: 'c2', actor: 'integration:zap' },
      { entity_id: 'c3', actor: 'connector:twilio-sms:SMS' },
    ])
    db.close()
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

describe('sqlite store writes and reads', () => {
  let store: Store
  beforeEach(() => {
    store = openSqliteStore(dbPath)
  })
  afterEach(() => store.close())

  /** Lets other work run while a write's callback is still going, as a slow callback would. */
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 20))

  it('refuses an in-memory database with a clear error: reads and writes need two connections to one file', () => {
    expect(() => openSqliteStore(':memory:')).toThrow(/needs a database file/)
  })

  it('runs two writes started at once one after the other, both committed, their change seqs in call order', async () => {
    const log: string[] = []
    const first = store.write(async (w) => {
      log.push('first begins')
      await pause()
      const change = await w.put('customer', customer('c1'))
      log.push('first ends')
      return change.seq
    }, ACTOR)
    const second = store.write(async (w) => {
      log.push('second begins')
      const change = await w.put('customer', customer('c2'))
      log.push('second ends')
      return change.seq
    }, ACTOR)
    const [a, b] = await Promise.all([first, second])
    // The second did not start while the first was paused.
    expect(log).toEqual(['first begins', 'first ends', 'second begins', 'second ends'])
    expect(a.changes.map((c) => [c.id, c.seq])).toEqual([['c1', a.result]])
    expect(b.changes.map((c) => [c.id, c.seq])).toEqual([['c2', b.result]])
    expect(a.result).toBeLessThan(b.result)
    expect((await store.changesAfter(0, 10, null)).changes.map((c) => c.id)).toEqual(['c1', 'c2'])
    expect(await store.getCustomer('c1')).not.toBeNull()
    expect(await store.getCustomer('c2')).not.toBeNull()
  })

  it('shows a read through the store only what is committed, while the write sees its own rows', async () => {
    let putDone!: () => void
    const put = new Promise<void>((r) => (putDone = r))
    let seenInside: unknown = null
    const writing = store.write(async (w) => {
      await w.put('customer', customer('c1'))
      seenInside = await w.getCustomer('c1')
      putDone()
      // The write is still open while the test reads through the store.
      await pause()
    }, ACTOR)
    await put
    expect(seenInside).toMatchObject(customer('c1'))
    expect(await store.getCustomer('c1')).toBeNull()
    expect(await store.lastSeq()).toBe(0)
    expect((await store.counts()).customers).toBe(0)
    await writing
    expect(await store.getCustomer('c1')).toMatchObject(customer('c1'))
    expect(await store.lastSeq()).toBe(1)
  })

  it('leaves nothing behind when a write’s callback throws, and the next write works', async () => {
    await expect(
      store.write(async (w) => {
        await w.put('customer', customer('c1'))
        await w.addDeadLetter('inbound', 'sms-main', { externalId: 'x' }, 'failed', 1)
        await w.setConnectorState('imap', 'inbox', { uid: 7 })
        await pause()
        throw new Error('boom')
      }, ACTOR),
    ).rejects.toThrow('boom')
    expect(await store.getCustomer('c1')).toBeNull()
    expect(await store.lastSeq()).toBe(0)
    expect(await store.deadLetters(null, 10)).toEqual([])
    expect(await store.getConnectorState('imap', 'inbox')).toBeNull()

    const { changes } = await store.write((w) => w.put('customer', customer('c2')), ACTOR)
    expect(changes.map((c) => c.id)).toEqual(['c2'])
    expect(await store.getCustomer('c2')).toMatchObject(customer('c2'))
    expect((await store.changesAfter(0, 10, null)).changes.map((c) => c.id)).toEqual(['c2'])
  })

  it('rolls back a writeEach run that throws alone, and commits the others', async () => {
    const boom = new Error('boom')
    const { outcomes, changes } = await store.writeEach<string>([
      { actor: ACTOR, run: async (w) => (await w.put('customer', customer('c1'))).id },
      {
        actor: ACTOR,
        run: async (w) => {
          await w.put('customer', customer('c2'))
          await w.addDeadLetter('inbound', null, {}, 'failed', 1)
          await pause()
          throw boom
        },
      },
      { actor: integrationActor('zap'), run: async (w) => (await w.put('customer', customer('c3'))).id },
    ])
    expect(outcomes).toEqual([
      { ok: true, result: 'c1' },
      { ok: false, error: boom },
      { ok: true, result: 'c3' },
    ])
    expect(changes.map((c) => c.id)).toEqual(['c1', 'c3'])
    expect(changes[0]!.seq).toBeLessThan(changes[1]!.seq)
    expect(await store.getCustomer('c1')).not.toBeNull()
    expect(await store.getCustomer('c2')).toBeNull()
    expect(await store.getCustomer('c3')).not.toBeNull()
    expect(await store.deadLetters(null, 10)).toEqual([])
    expect((await store.changesAfter(0, 10, null)).changes.map((c) => c.id)).toEqual(['c1', 'c3'])
    expect(await store.lastSeq()).toBe(changes[1]!.seq)
  })

  it('tells its commit listener each transaction’s changes in commit order, before the next write begins', async () => {
    const log: string[] = []
    const heard: StoredChange[][] = []
    store.onCommit((changes) => {
      heard.push(changes)
      log.push(`heard ${changes.map((c) => c.id).join(' ')}`)
    })
    const put = (id: string) => async (w: StoreWriter) => {
      log.push(`begin ${id}`)
      await pause()
      return w.put('customer', customer(id))
    }
    const results = await Promise.allSettled([
      store.write(put('c1'), ACTOR),
      store.write(async (w) => {
        await put('x')(w)
        throw new Error('never committed')
      }, ACTOR),
      store.write(put('c2'), ACTOR),
      store.writeEach([
        { actor: ACTOR, run: put('c3') },
        { actor: ACTOR, run: put('c4') },
      ]),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
    expect(heard.map((changes) => changes.map((c) => c.id))).toEqual([['c1'], ['c2'], ['c3', 'c4']])
    const seqs = heard.flat().map((c) => c.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(log).toEqual(['begin c1', 'heard c1', 'begin x', 'begin c2', 'heard c2', 'begin c3', 'begin c4', 'heard c3 c4'])
  })

  it('lets the writes already queued finish before it closes', async () => {
    const writing = store.write(async (w) => {
      await pause()
      return w.put('customer', customer('c1'))
    }, ACTOR)
    await store.close()
    await expect(writing).resolves.toMatchObject({ changes: [{ id: 'c1' }] })
    store = openSqliteStore(dbPath)
    expect(await store.getCustomer('c1')).toMatchObject(customer('c1'))
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
