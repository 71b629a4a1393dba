import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Conversation } from '../../shared/domain'
import type { IpcArgs, IpcMethod, IpcResults } from '../../shared/ipc'
import type { Core } from '../core'
import { openCache } from '../db/open'
import { countOutbox, getConversation, setSyncUser } from '../db/queries'
import { createCore } from '../index'
import { applyBatch } from '../sync/apply'
import { changes, closedPort, conversation, customer, tempDir, user } from '../testing/fixtures'

let dir: ReturnType<typeof tempDir>
let core: Core
let serverUrl: string
const START = Date.UTC(2026, 0, 1)

const seeded: Conversation[] = [
  conversation('v1', 'c1', { lastMessageAt: START + 1, labels: ['vip'], assigneeId: 'u2' }),
  conversation('v2', 'c2', { lastMessageAt: START + 2, status: 'snoozed', snoozedUntil: START + 99 }),
  conversation('v3', 'c3', { lastMessageAt: START + 3, priority: 'high' }),
  conversation('v4', 'c4', { lastMessageAt: START + 4, priority: 'urgent', status: 'resolved' }),
]

beforeEach(async () => {
  dir = tempDir()
  serverUrl = `http://127.0.0.1:${await closedPort()}`
  const db = openCache(dir.path, serverUrl)
  setSyncUser(db, 'u1')
  const items = [
    ['user', user('u1')],
    ['user', user('u2')],
    ...['c1', 'c2', 'c3', 'c4'].map((id) => ['customer', customer(id)]),
    ...seeded.map((c) => ['conversation', c]),
  ] as Parameters<typeof changes>[1]
  applyBatch(db, { after: 0, cursor: items.length, changes: changes(1, items) })
  db.close()
  // Offline: every action stays queued in the outbox, as on a plane.
  core = await createCore({ dataDir: dir.path, serverUrl, token: 't' })
})
afterEach(async () => {
  await core.close()
  dir.remove()
})

/** The cache as the UI reads it, through a second connection. */
function read<T>(fn: (db: ReturnType<typeof openCache>) => T): T {
  const db = openCache(dir.path, serverUrl)
  try {
    return fn(db)
  } finally {
    db.close()
  }
}
const conv = (id: string) => read((db) => getConversation(db, id))
const call = <M extends IpcMethod>(method: M, args: IpcArgs<M>) => core.handle(method, args) as Promise<IpcResults[M]>

describe('bulk actions', () => {
  it('resolves many conversations in one step, queued offline, and one undo puts each back as it was', async () => {
    const events: string[] = []
    const off = core.subscribe((m) => events.push(m.event))
    const { bulkId, changed } = await call('conversations.bulk', {
      conversationIds: ['v1', 'v2', 'v4', 'v1'],
      action: { kind: 'setStatus', status: 'resolved' },
    })
    // v4 was resolved already: nothing to queue or undo for it.
    expect(changed).toBe(2)
    expect(conv('v1')?.status).toBe('resolved')
    expect(conv('v2')).toMatchObject({ status: 'resolved', snoozedUntil: null })
    expect(read(countOutbox)).toEqual({ pending: 2, failed: 0 })
    expect(events).toContain('data.changed')

    expect(await call('conversations.bulkUndo', { bulkId })).toEqual({ changed: 2 })
    expect(conv('v1')?.status).toBe('open')
    expect(conv('v2')).toMatchObject({ status: 'snoozed', snoozedUntil: START + 99 })
    expect(conv('v4')?.status).toBe('resolved')
    // The undo is queued like any action: it reaches the server however the step went.
    expect(read(countOutbox)).toEqual({ pending: 4, failed: 0 })
    await expect(call('conversations.bulkUndo', { bulkId })).rejects.toThrow(/can no longer be undone/)
    off()
  })

  it('assigns, labels and sets priority on many, and undoes each to its own previous value', async () => {
    const assign = await call('conversations.bulk', { conversationIds: ['v1', 'v2', 'v3'], action: { kind: 'assign', assigneeId: 'u1' } })
    const label = await call('conversations.bulk', { conversationIds: ['v1', 'v2'], action: { kind: 'label', add: ['vip', 'billing'] } })
    const priority = await call('conversations.bulk', { conversationIds: ['v1', 'v3', 'v4'], action: { kind: 'setPriority', priority: 'urgent' } })
    expect([assign.changed, label.changed, priority.changed]).toEqual([3, 2, 2])
    expect(conv('v1')).toMatchObject({ assigneeId: 'u1', labels: ['vip', 'billing'], priority: 'urgent' })
    expect(conv('v2')).toMatchObject({ assigneeId: 'u1', labels: ['vip', 'billing'] })

    await call('conversations.bulkUndo', { bulkId: priority.bulkId })
    await call('conversations.bulkUndo', { bulkId: label.bulkId })
    await call('conversations.bulkUndo', { bulkId: assign.bulkId })
    expect(conv('v1')).toMatchObject({ assigneeId: 'u2', labels: ['vip'], priority: 'normal' })
    expect(conv('v2')).toMatchObject({ assigneeId: null, labels: [] })
    expect(conv('v3')).toMatchObject({ assigneeId: null, priority: 'high' })
    expect(conv('v4')).toMatchObject({ priority: 'urgent' })
  })

  it('refuses the whole step when one conversation is unknown or the action breaks its own rules', async () => {
    await expect(call('conversations.bulk', { conversationIds: ['v1', 'nope'], action: { kind: 'assign', assigneeId: 'u1' } })).rejects.toThrow(
      /not in this device's cache/,
    )
    await expect(call('conversations.bulk', { conversationIds: ['v1'], action: { kind: 'setStatus', status: 'snoozed' } })).rejects.toThrow(
      /snoozedUntil/,
    )
    expect(conv('v1')).toMatchObject({ assigneeId: 'u2', status: 'open' })
    expect(read(countOutbox)).toEqual({ pending: 0, failed: 0 })
  })

  it('lists the inbox most urgent first, each priority latest first, page after page', async () => {
    await call('conversation.setPriority', { conversationId: 'v1', priority: 'urgent' })
    const all = await call('inbox.list', { view: 'all', sort: 'priority' })
    expect(all.map((c) => c.id)).toEqual(['v4', 'v1', 'v3', 'v2'])
    const first = await call('inbox.list', { view: 'all', sort: 'priority', limit: 2 })
    const last = first.at(-1)!
    const next = await call('inbox.list', { view: 'all', sort: 'priority', limit: 2, after: { key: last.lastMessageAt, id: last.id, priority: last.priority } })
    expect([...first, ...next].map((c) => c.id)).toEqual(['v4', 'v1', 'v3', 'v2'])
    const open = await call('inbox.list', { view: 'all', status: 'open', sort: 'priority' })
    expect(open.map((c) => c.id)).toEqual(['v1', 'v3'])
  })
})
