import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { IpcEventMessage, SyncState, TimelinePage } from '../shared/ipc'
import type { Core } from './core'
import { openCache } from './db/open'
import { setSyncUser } from './db/queries'
import { IpcError } from './errors'
import { createCore } from './index'
import { applyBatch } from './sync/apply'
import { changes, closedPort, conversation, customer, message, note, tempDir, user } from './testing/fixtures'

const alice = customer('c1', { name: 'Alice Martin' })
const bob = customer('c2', { name: 'Bob Stone' })
const v1 = conversation('v1', 'c1', { channel: 'email', assigneeId: 'u1', lastMessageAt: 300 })
const v2 = conversation('v2', 'c1', { channel: 'sms', status: 'resolved', lastMessageAt: 200 })
const v3 = conversation('v3', 'c2', { channel: 'chat', lastMessageAt: 250 })

let dir: ReturnType<typeof tempDir>
let core: Core
let events: IpcEventMessage[]

beforeEach(async () => {
  dir = tempDir()
  const serverUrl = `http://127.0.0.1:${await closedPort()}`
  const db = openCache(dir.path, serverUrl)
  applyBatch(db, {
    after: 0,
    cursor: 20,
    changes: changes(1, [
      ['user', user('u1', { name: 'Dana Agent' })],
      ['user', user('u2', { name: 'Eli Agent' })],
      ['customer', alice],
      ['customer', bob],
      ['conversation', v1],
      ['conversation', v2],
      ['conversation', v3],
      ['message', message('m1', v2, 150, { text: 'My parcel is late' })],
      ['message', message('m2', v2, 200, { text: 'Thanks, solved!' })],
      ['message', message('m3', v1, 300, { text: 'Invoice\n  question   about March' })],
      ['message', message('m4', v3, 250, { text: 'Hello?' })],
      ['note', note('n1', v1, 310)],
      [
        'call',
        {
          id: 'k1', conversationId: 'v2', customerId: 'c1', direction: 'inbound', status: 'completed', outcome: 'answered',
          durationSeconds: 60, recordingUrl: null, transcript: null, notes: null, agentId: 'u1', externalId: 'CA1', startedAt: 170, updatedAt: 230,
        },
      ],
      ['event', { id: 'e1', conversationId: 'v2', customerId: 'c1', type: 'status_changed', actorId: 'u1', data: { status: 'resolved' }, createdAt: 210 }],
    ]),
  })
  setSyncUser(db, 'u1')
  db.close()
  events = []
  core = await createCore({ dataDir: dir.path, serverUrl, token: 'offline-token' })
  core.subscribe((m) => events.push(m))
})

afterEach(async () => {
  await core.close()
  dir.remove()
})

async function expectIpcError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(IpcError)
  expect(err).toMatchObject({ code })
  expect((err as Error).message).toMatch(message)
}

describe('core handlers on a cache that cannot reach its server', () => {
  it('rejects bad arguments and unknown methods with a readable bad_request', async () => {
    await expectIpcError(core.handle('conversation.reply', { conversationId: 'v1', text: '   ' }), 'bad_request', /a reply needs text/)
    await expectIpcError(core.handle('inbox.list', { view: 'everything' }), 'bad_request', /Invalid arguments for inbox.list/)
    await expectIpcError(core.handle('conversation.setStatus', { conversationId: 'v1', status: 'snoozed' }), 'bad_request', /snoozedUntil/)
    await expectIpcError(core.handle('drop.tables', {}), 'bad_request', /Unknown method 'drop.tables'/)
    await expectIpcError(core.handle('conversation.assign', { conversationId: 'nope', assigneeId: null }), 'not_found', /not in this device's cache/)
  })

  it('lists the inbox by last activity with names, previews and views', async () => {
    const all = (await core.handle('inbox.list', {})) as { id: string; customerName: string; preview: string; assigneeName: string | null }[]
    expect(all.map((c) => c.id)).toEqual(['v1', 'v3', 'v2'])
    expect(all[0]).toMatchObject({ customerName: 'Alice Martin', assigneeName: 'Dana Agent', preview: 'Invoice question about March' })
    expect(((await core.handle('inbox.list', { view: 'mine' })) as { id: string }[]).map((c) => c.id)).toEqual(['v1'])
    expect(((await core.handle('inbox.list', { view: 'unassigned', status: 'open' })) as { id: string }[]).map((c) => c.id)).toEqual(['v3'])
    expect(((await core.handle('inbox.list', { status: 'resolved', limit: 5 })) as { id: string }[]).map((c) => c.id)).toEqual(['v2'])
  })

  it('pages one customer timeline across conversations and kinds, newest first', async () => {
    const seen: string[] = []
    let before: TimelinePage['before'] | undefined
    for (let page = 0; page < 5; page++) {
      const res = (await core.handle('customer.timeline', { customerId: 'c1', limit: 2, ...(before ? { before } : {}) })) as TimelinePage
      seen.push(...res.items.map((i) => `${i.kind}:${i.item.id}`))
      if (!res.before) break
      before = res.before
    }
    expect(seen).toEqual(['note:n1', 'message:m3', 'event:e1', 'message:m2', 'call:k1', 'message:m1'])
    const profile = (await core.handle('customer.get', { customerId: 'c1' })) as { conversations: { id: string }[] }
    expect(profile.conversations.map((c) => c.id)).toEqual(['v1', 'v2'])
    expect(await core.handle('customer.get', { customerId: 'nobody' })).toBeNull()
  })

  it('queues a reply offline: shown at once as pending, counted, and undone by discard', async () => {
    const { messageId, mutationId } = (await core.handle('conversation.reply', { conversationId: 'v3', text: 'Hi Bob, how can I help?' })) as {
      messageId: string
      mutationId: number
    }
    const page = (await core.handle('customer.timeline', { customerId: 'c2' })) as TimelinePage
    expect(page.items[0]).toMatchObject({
      kind: 'message',
      item: { id: messageId, deliveryStatus: 'queued', direction: 'outbound', authorName: 'Dana Agent' },
      outbox: { mutationId, state: 'pending', error: null },
    })
    const inbox = (await core.handle('inbox.list', {})) as { id: string; pending: boolean; preview: string }[]
    expect(inbox[0]).toMatchObject({ id: 'v3', pending: true, preview: 'Hi Bob, how can I help?' })
    const state = (await core.handle('sync.state', {})) as SyncState
    expect(state).toMatchObject({ pending: 1, failed: 0, cursor: 20 })
    expect(events).toContainEqual({ event: 'data.changed', payload: { entities: ['message', 'conversation'], customerIds: ['c2'] } })

    await core.handle('outbox.discard', { mutationId })
    const after = (await core.handle('customer.timeline', { customerId: 'c2' })) as TimelinePage
    expect(after.items.map((i) => i.item.id)).toEqual(['m4'])
    expect(((await core.handle('sync.state', {})) as SyncState).pending).toBe(0)
    await expectIpcError(core.handle('outbox.discard', { mutationId }), 'not_found', /not in the outbox/)
  })

  it('reports being offline with the reason, and still knows who is signed in', async () => {
    await expect.poll(async () => ((await core.handle('sync.state', {})) as SyncState).status, { timeout: 5_000 }).toBe('offline')
    const state = (await core.handle('sync.state', {})) as SyncState
    expect(state.lastError).toMatch(/^Cannot reach the server at http:\/\/127\.0\.0\.1:\d+: it may be down, or this computer offline\. Retrying\.$/)
    expect(events.some((e) => e.event === 'sync.state' && (e.payload as SyncState).status === 'offline')).toBe(true)
    expect(await core.handle('session.get', {})).toMatchObject({ user: { id: 'u1', name: 'Dana Agent' } })
    expect(((await core.handle('users.list', {})) as { name: string }[]).map((u) => u.name)).toEqual(['Dana Agent', 'Eli Agent'])
  })
})
