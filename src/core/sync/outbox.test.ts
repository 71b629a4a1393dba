import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openCache } from '../db/open'
import { countOutbox, failOutbox, getEntity, getOutbox, listPendingOutbox, setSyncUser } from '../db/queries'
import { changes, conversation, customer, note, tempDir, user } from '../testing/fixtures'
import { applyBatch } from './apply'
import { discardAction, enqueueAction, retryAction } from './outbox'

let dir: ReturnType<typeof tempDir>
let db: Database
const v1 = conversation('v1', 'c1', { labels: ['vip'], lastMessageAt: 100 })

beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
  applyBatch(db, {
    after: 0,
    cursor: 4,
    changes: changes(1, [['user', user('u1')], ['customer', customer('c1')], ['conversation', v1], ['note', note('n0', v1, 50)]]),
  })
  setSyncUser(db, 'u1')
})
afterEach(() => {
  db.close()
  dir.remove()
})

describe('outbox', () => {
  it('queues actions in order and shows them at once', () => {
    const a = enqueueAction(db, { name: 'label', args: { conversationId: 'v1', add: ['billing'], remove: ['vip'] }, conversationId: 'v1', itemId: null })
    const b = enqueueAction(db, { name: 'note', args: { noteId: 'n1', conversationId: 'v1', text: 'call back' }, conversationId: 'v1', itemId: 'n1' })
    expect(b.mutationId).toBeGreaterThan(a.mutationId)
    expect(getEntity(db, 'conversation', 'v1')?.current.labels).toEqual(['billing'])
    expect(getEntity(db, 'note', 'n1')?.current).toMatchObject({ text: 'call back', authorId: 'u1' })
    expect(listPendingOutbox(db, 10).map((r) => r.mutationId)).toEqual([a.mutationId, b.mutationId])
    expect(countOutbox(db)).toEqual({ pending: 2, failed: 0 })
  })

  it('discarding undoes just that action and keeps the others', () => {
    const label = enqueueAction(db, { name: 'label', args: { conversationId: 'v1', add: ['billing'], remove: [] }, conversationId: 'v1', itemId: null })
    enqueueAction(db, { name: 'setStatus', args: { conversationId: 'v1', status: 'pending' }, conversationId: 'v1', itemId: null })
    const reply = enqueueAction(db, { name: 'reply', args: { messageId: 'r1', conversationId: 'v1', text: 'hi' }, conversationId: 'v1', itemId: 'r1' })

    discardAction(db, reply.mutationId)
    expect(getEntity(db, 'message', 'r1')).toBeNull()
    discardAction(db, label.mutationId)
    const conv = getEntity(db, 'conversation', 'v1')?.current
    expect(conv?.labels).toEqual(['vip'])
    expect(conv?.status).toBe('pending')
    expect(conv?.lastMessageAt).toBe(100)
    expect(countOutbox(db)).toEqual({ pending: 1, failed: 0 })
  })

  it('a refused action stays visible as failed; retrying sends it under a new, higher id', () => {
    const first = enqueueAction(db, { name: 'note', args: { noteId: 'n2', conversationId: 'v1', text: 'x' }, conversationId: 'v1', itemId: 'n2' })
    failOutbox(db, { mutationId: first.mutationId, error: 'conversation is not visible to you' })
    expect(getEntity(db, 'note', 'n2')).not.toBeNull()
    expect(countOutbox(db)).toEqual({ pending: 0, failed: 1 })
    expect(listPendingOutbox(db, 10)).toEqual([])

    const retried = retryAction(db, first.mutationId)
    expect(retried?.mutationId).toBeGreaterThan(first.mutationId)
    expect(getOutbox(db, first.mutationId)).toBeNull()
    expect(retried).toMatchObject({ state: 'pending', error: null, itemId: 'n2', createdAt: first.createdAt })
  })

  it('never reuses a mutation id, even after the newest one was deleted', () => {
    const a = enqueueAction(db, { name: 'setStatus', args: { conversationId: 'v1', status: 'open' }, conversationId: 'v1', itemId: null })
    discardAction(db, a.mutationId)
    const b = enqueueAction(db, { name: 'setStatus', args: { conversationId: 'v1', status: 'open' }, conversationId: 'v1', itemId: null })
    expect(b.mutationId).toBeGreaterThan(a.mutationId)
  })
})
