import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { eventBlock } from '../../shared/reporting/event-block'
import type { EntityChange } from '../../shared/sync'
import { openCache } from '../db/open'
import { tagPhrase } from '../db/search-index'
import { dumpEntities, getEntity, getSyncMeta, setSyncUser } from '../db/queries'
import { changes, conversation, customer, message, reportingEvent, tempDir, user } from '../testing/fixtures'
import { applyBatch, CursorMismatchError } from './apply'
import { enqueueAction } from './outbox'

let dir: ReturnType<typeof tempDir>
let db: Database
beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
})
afterEach(() => {
  db.close()
  dir.remove()
})

const c1 = customer('c1')
const v1 = conversation('v1', 'c1', { lastMessageAt: 100 })

describe('applyBatch', () => {
  it('stores the rows as sent and moves the cursor with them', () => {
    const m1 = message('m1', v1, 100)
    const touched = applyBatch(db, { after: 0, cursor: 7, changes: changes(1, [['customer', c1], ['conversation', v1], ['message', m1]]) })
    expect(getSyncMeta(db)?.cursor).toBe(7)
    expect(getEntity(db, 'message', 'm1')).toEqual({ current: m1, server: m1 })
    expect(touched.entities.sort()).toEqual(['conversation', 'customer', 'message'])
    expect(touched.customerIds).toEqual(['c1'])
  })

  it('applies deletes and later versions of the same row in seq order', () => {
    const m1 = message('m1', v1, 100)
    applyBatch(db, { after: 0, cursor: 3, changes: changes(1, [['customer', c1], ['conversation', v1], ['message', m1]]) })
    const later: EntityChange[] = [
      { seq: 5, entity: 'conversation', id: 'v1', op: 'upsert', data: { ...v1, status: 'resolved' } },
      { seq: 4, entity: 'conversation', id: 'v1', op: 'upsert', data: { ...v1, status: 'pending' } },
      { seq: 6, entity: 'message', id: 'm1', op: 'delete', data: null },
    ]
    applyBatch(db, { after: 3, cursor: 6, changes: later })
    expect(getEntity(db, 'conversation', 'v1')?.current.status).toBe('resolved')
    expect(getEntity(db, 'message', 'm1')).toBeNull()
  })

  it('erases a customer on their delete: every row of theirs and what this device kept about them, nobody else’s', () => {
    const m1 = message('m1', v1, 100)
    const c2 = customer('c2')
    const v2 = conversation('v2', 'c2')
    applyBatch(db, { after: 0, cursor: 5, changes: changes(1, [['customer', c1], ['conversation', v1], ['message', m1], ['customer', c2], ['conversation', v2]]) })
    db.prepare(`INSERT INTO drafts (conversation_id, mode, json, updated_at) VALUES ('v1', 'reply', '{}', 1)`).run()
    const touched = applyBatch(db, { after: 5, cursor: 6, changes: [{ seq: 6, entity: 'customer', id: 'c1', op: 'delete', data: null }] })
    expect(touched).toMatchObject({ erased: ['c1'], deletedContent: true })
    expect([...dumpEntities(db, 'conversation').keys()]).toEqual(['v2'])
    expect(getEntity(db, 'message', 'm1')).toBeNull()
    expect(getEntity(db, 'customer', 'c1')).toBeNull()
    expect(db.prepare('SELECT count(*) AS n FROM drafts').get()).toEqual({ n: 0 })
    expect(db.prepare(`SELECT count(*) AS n FROM search_index WHERE search_index MATCH '"message m1"'`).get()).toEqual({ n: 0 })
  })

  it('has nothing to scrub when an erased customer was never in the cache', () => {
    applyBatch(db, { after: 0, cursor: 2, changes: changes(1, [['customer', c1], ['conversation', v1]]) })
    const touched = applyBatch(db, {
      after: 2,
      cursor: 4,
      changes: [
        { seq: 3, entity: 'customer', id: 'stranger', op: 'delete', data: null },
        { seq: 4, entity: 'message', id: 'never-seen', op: 'delete', data: null },
      ],
    })
    expect(touched.erased).toEqual(['stranger'])
    expect(touched.deletedContent).toBeUndefined()
    expect(getEntity(db, 'customer', 'c1')).not.toBeNull()
  })

  it('keeps what a batch sends of an erased customer after their erasure (a restore), and drops what came before it', () => {
    const m1 = message('m1', v1, 100)
    const m2 = message('m2', v1, 200)
    const touched = applyBatch(db, {
      after: 0,
      cursor: 7,
      changes: [
        ...changes(1, [['customer', c1], ['conversation', v1], ['message', m1]]),
        { seq: 4, entity: 'customer', id: 'c1', op: 'delete', data: null },
        ...changes(5, [['customer', c1], ['conversation', v1], ['message', m2]]),
      ],
    })
    expect(touched.erased).toEqual(['c1'])
    expect(getEntity(db, 'customer', 'c1')?.current).toEqual(c1)
    expect([...dumpEntities(db, 'message').keys()]).toEqual(['m2'])
  })

  it('a row changed several times in one batch ends as its last change, with what derives from it', () => {
    const m1 = message('m1', v1, 100)
    const touched = applyBatch(db, {
      after: 0,
      cursor: 6,
      changes: [
        { seq: 1, entity: 'customer', id: 'c1', op: 'upsert', data: c1 },
        { seq: 2, entity: 'conversation', id: 'v1', op: 'upsert', data: v1 },
        { seq: 3, entity: 'message', id: 'm1', op: 'upsert', data: m1 },
        { seq: 4, entity: 'conversation', id: 'v1', op: 'upsert', data: { ...v1, status: 'pending' } },
        { seq: 5, entity: 'message', id: 'm1', op: 'delete', data: null },
        { seq: 6, entity: 'conversation', id: 'v1', op: 'upsert', data: { ...v1, status: 'resolved' } },
      ],
    })
    expect(getEntity(db, 'conversation', 'v1')?.current.status).toBe('resolved')
    expect(getEntity(db, 'message', 'm1')).toBeNull()
    // The deleted message's owners are known from earlier in the batch, not from the cache.
    expect(touched.customerIds).toEqual(['c1'])
    expect(db.prepare('SELECT status, n FROM conversation_counts').all()).toEqual([{ status: 'resolved', n: 1 }])
    expect(db.prepare(`SELECT count(*) AS n FROM search_index WHERE search_index MATCH '${tagPhrase.kind('message')}'`).get()).toEqual({ n: 0 })
  })

  it("keeps a page's block of reporting events as one row, every event of it read back as sent", () => {
    const events = Array.from({ length: 100 }, (_, i) =>
      reportingEvent(`e${String(i).padStart(3, '0')}`, { customerId: i % 2 === 0 ? 'c1' : null, at: 1_000 + i, afterHours: i % 3 === 0 }),
    )
    const touched = applyBatch(db, { after: 0, cursor: 9, changes: [], eventBlock: eventBlock(events) })
    expect(touched.entities).toEqual(['reportingEvent'])
    expect(getSyncMeta(db)?.cursor).toBe(9)
    expect(db.prepare('SELECT count(*) FROM reporting_event_blocks').pluck().get()).toBe(1)
    expect(db.prepare('SELECT count(*) FROM reporting_events').pluck().get()).toBe(0)
    expect([...dumpEntities(db, 'reportingEvent').values()].map((e) => e.current)).toEqual(events)
    expect(getEntity(db, 'reportingEvent', 'e042')?.current).toEqual(events[42])
    expect(getEntity(db, 'reportingEvent', 'e999')).toBeNull()
  })

  it('a batch that fails half-way leaves neither its rows nor its cursor', () => {
    applyBatch(db, { after: 0, cursor: 2, changes: changes(1, [['customer', c1], ['conversation', v1]]) })
    const broken = { ...message('m2', v1, 200), customerId: null } as unknown as ReturnType<typeof message>
    expect(() =>
      applyBatch(db, {
        after: 2,
        cursor: 5,
        changes: changes(3, [['message', message('m1', v1, 150)], ['message', broken]]),
      }),
    ).toThrow(/NOT NULL/)
    expect(getSyncMeta(db)?.cursor).toBe(2)
    expect(dumpEntities(db, 'message').size).toBe(0)
  })

  it('refuses a batch that does not follow the cursor', () => {
    applyBatch(db, { after: 0, cursor: 2, changes: changes(1, [['customer', c1], ['conversation', v1]]) })
    expect(() => applyBatch(db, { after: 0, cursor: 3, changes: changes(3, [['customer', c1]]) })).toThrow(CursorMismatchError)
    expect(getSyncMeta(db)?.cursor).toBe(2)
  })
})

describe('rebase of pending actions over server rows', () => {
  beforeEach(() => {
    applyBatch(db, { after: 0, cursor: 3, changes: changes(1, [['user', user('u1')], ['customer', c1], ['conversation', v1]]) })
    setSyncUser(db, 'u1')
  })

  it('a pending assignment and status survive an older server row of the conversation', () => {
    enqueueAction(db, { name: 'assign', args: { conversationId: 'v1', assigneeId: 'u1' }, conversationId: 'v1', itemId: null }, 500)
    enqueueAction(db, { name: 'setStatus', args: { conversationId: 'v1', status: 'resolved' }, conversationId: 'v1', itemId: null }, 501)
    // The server touched the conversation (a new inbound message) before it saw the actions.
    const serverRow = { ...v1, lastMessageAt: 400, waitingSince: 400, updatedAt: 400 }
    applyBatch(db, { after: 3, cursor: 4, changes: changes(4, [['conversation', serverRow]]) })
    const row = getEntity(db, 'conversation', 'v1')
    expect(row?.server).toEqual(serverRow)
    expect(row?.current).toMatchObject({ assigneeId: 'u1', status: 'resolved', lastMessageAt: 400 })
  })

  it('a queued reply shows as queued until the server row with the same id replaces it', () => {
    const messageId = 'r1'
    enqueueAction(db, { name: 'reply', args: { messageId, conversationId: 'v1', text: 'On it' }, conversationId: 'v1', itemId: messageId }, 600)
    const local = getEntity(db, 'message', messageId)
    expect(local?.server).toBeNull()
    expect(local?.current).toMatchObject({ direction: 'outbound', deliveryStatus: 'queued', text: 'On it', authorId: 'u1', authorName: 'Agent u1' })
    expect(getEntity(db, 'conversation', 'v1')?.current.lastMessageAt).toBe(600)

    const sent = message(messageId, v1, 610, { direction: 'outbound', deliveryStatus: 'sent', text: 'On it', authorId: 'u1' })
    applyBatch(db, { after: 3, cursor: 4, changes: changes(4, [['message', sent]]) })
    // Still in the outbox (not acknowledged yet), but the server's row is the truth now.
    expect(getEntity(db, 'message', messageId)).toEqual({ current: sent, server: sent })
  })
})
