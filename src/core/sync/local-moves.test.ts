import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Call, Conversation, EntityName, EntityTypes, Message, TimelineEvent } from '../../shared/domain'
import type { IpcEventName, IpcEvents } from '../../shared/ipc'
import { openCache } from '../db/open'
import { getEntity, listOutboxByName, setSyncUser } from '../db/queries'
import type { HandlerContext, SyncLink } from '../handlers/context'
import { conversationHandlers } from '../handlers/conversation'
import { changes, conversation, customer, message, tempDir, user } from '../testing/fixtures'
import { applyBatch } from './apply'
import { discardAction } from './outbox'

let dir: ReturnType<typeof tempDir>
let db: Database
let cursor: number
let emitted: IpcEvents['data.changed'][]
let handlers: ReturnType<typeof conversationHandlers>

// A phone conversation that went on by SMS, and an older email conversation of the same customer.
const phone = conversation('v-phone', 'c1', { channel: 'sms', status: 'open', lastMessageAt: 400, priority: 'high', subject: null })
const email = conversation('v-email', 'c1', { channel: 'email', status: 'resolved', lastMessageAt: 50, subject: 'Invoice' })
const other = conversation('v-other', 'c2')
const call: Call = {
  id: 'call1', conversationId: phone.id, customerId: 'c1', direction: 'inbound', status: 'completed', outcome: 'answered', durationSeconds: 60,
  recordingUrl: null, transcript: null, notes: null, agentId: 'u1', externalId: 'CA1', startedAt: 100, updatedAt: 100,
}
const m1 = message('m1', phone, 200, { channel: 'sms', direction: 'inbound' })
const m2 = message('m2', phone, 300, { channel: 'sms', direction: 'outbound' })
const m3 = message('m3', phone, 400, { channel: 'sms', direction: 'inbound' })

function sync(items: { [E in EntityName]: [E, EntityTypes[E]] }[EntityName][]): void {
  applyBatch(db, { after: cursor, cursor: cursor + items.length, changes: changes(cursor + 1, items) })
  cursor += items.length
}

const current = <E extends EntityName>(entity: E, id: string) => getEntity(db, entity, id)?.current
const where = (id: string) => (current('message', id) ?? current('call', id))?.conversationId

beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
  cursor = 0
  sync([
    ['user', user('u1', { team: 'Billing' })],
    ['customer', customer('c1')],
    ['customer', customer('c2')],
    ['conversation', phone],
    ['conversation', email],
    ['conversation', other],
    ['call', call],
    ['message', m1],
    ['message', m2],
    ['message', m3],
  ])
  setSyncUser(db, 'u1')
  emitted = []
  const engine = { schedulePush: () => {} } as unknown as SyncLink
  const ctx: HandlerContext = {
    db,
    engine,
    serverUrl: 'http://127.0.0.1:4100',
    token: 't',
    emit: <E extends IpcEventName>(event: E, payload: IpcEvents[E]) => {
      if (event === 'data.changed') emitted.push(payload as IpcEvents['data.changed'])
    },
  }
  handlers = conversationHandlers(ctx)
})
afterEach(() => {
  db.close()
  dir.remove()
})

describe('moving messages and calls between conversations, before the server has', () => {
  it('moves the picked items into another conversation of the customer and says so in both', async () => {
    const { moveId } = await handlers['conversation.moveItems']({ fromConversationId: phone.id, toConversationId: email.id, messageIds: ['m3'], callIds: ['call1'] })
    expect([where('m1'), where('m2'), where('m3'), where('call1')]).toEqual([phone.id, phone.id, email.id, email.id])
    // Each conversation's activity and wait follow what it now holds.
    expect(current('conversation', phone.id)).toMatchObject({ lastMessageAt: 300, waitingSince: null })
    expect(current('conversation', email.id)).toMatchObject({ lastMessageAt: 400, status: 'resolved', waitingSince: null })
    expect(current('event', moveId)).toMatchObject({
      conversationId: phone.id,
      type: 'items_moved',
      actorId: 'u1',
      data: { direction: 'out', to: email.id, split: false, messageIds: ['m3'], callIds: ['call1'] },
    })
    expect(current('event', `${moveId}:in`)).toMatchObject({ conversationId: email.id, data: { direction: 'in', from: phone.id } })
    expect(emitted.at(-1)).toEqual({ entities: ['conversation', 'message', 'call', 'event'], customerIds: ['c1'] })
  })

  it('splits items into a new conversation as the server will start it, continuing the source', async () => {
    const { conversationId, moveId } = await handlers['conversation.split']({ fromConversationId: phone.id, messageIds: ['m2', 'm3'], callIds: [] })
    const split = current('conversation', conversationId)
    expect(split).toMatchObject({
      customerId: 'c1', inbox: phone.inbox, channel: 'sms', status: 'open', assigneeId: 'u1', team: 'Billing', labels: [],
      priority: 'high', previousConversationId: phone.id, threadKey: `split:${moveId}`, lastMessageAt: 400, waitingSince: 400,
    })
    expect(getEntity(db, 'conversation', conversationId)?.server).toBeNull()
    expect([where('m2'), where('m3')]).toEqual([conversationId, conversationId])
    expect(current('conversation', phone.id)).toMatchObject({ lastMessageAt: 200, waitingSince: 200 })
  })

  it('undo moves back what the move moved and closes a split-off conversation left empty', async () => {
    const { conversationId, moveId } = await handlers['conversation.split']({ fromConversationId: phone.id, messageIds: ['m3'], callIds: ['call1'] })
    handlers['conversation.undoMove']({ moveId })
    expect([where('m3'), where('call1')]).toEqual([phone.id, phone.id])
    expect(current('conversation', conversationId)).toMatchObject({ status: 'resolved', waitingSince: null })
    expect(current('conversation', phone.id)).toMatchObject({ lastMessageAt: 400, waitingSince: 400 })
    expect(current('event', `${moveId}:undo`)).toMatchObject({ conversationId: phone.id, data: { undo: true, direction: 'in', from: conversationId, messageIds: ['m3'], callIds: ['call1'] } })
    expect(current('event', `${moveId}:undo-out`)).toMatchObject({ conversationId, data: { undo: true, direction: 'out', to: phone.id } })
    expect(listOutboxByName(db, ['moveItems', 'undoMove']).map((r) => [r.name, r.conversationId])).toEqual([
      ['moveItems', phone.id],
      ['undoMove', phone.id],
    ])
  })

  it('stays moved when newer server rows of the items arrive before the server has the move', async () => {
    handlers['conversation.moveItems']({ fromConversationId: phone.id, toConversationId: email.id, messageIds: ['m2'], callIds: [] })
    sync([['message', { ...m2, deliveryStatus: 'delivered', updatedAt: 350 }]])
    expect(current('message', 'm2')).toMatchObject({ conversationId: email.id, deliveryStatus: 'delivered' })
    expect(current('conversation', phone.id)?.lastMessageAt).toBe(400)
  })

  it('the server applying the move replaces the local rows, event for event', async () => {
    const { moveId } = await handlers['conversation.moveItems']({ fromConversationId: phone.id, toConversationId: email.id, messageIds: ['m3'], callIds: [] })
    const out = current('event', moveId) as TimelineEvent
    db.prepare('DELETE FROM outbox').run()
    sync([
      ['message', { ...m3, conversationId: email.id, updatedAt: 500 } satisfies Message],
      ['conversation', { ...phone, lastMessageAt: 300, updatedAt: 500 } satisfies Conversation],
      ['event', { ...out, createdAt: 501 }],
    ])
    expect(getEntity(db, 'event', moveId)?.server?.createdAt).toBe(501)
    expect(db.prepare(`SELECT count(*) FROM events WHERE json ->> '$.type' = 'items_moved'`).pluck().get()).toBe(2)
  })

  it('discarding a queued split puts every row back and forgets the new conversation', async () => {
    const { conversationId, moveId } = await handlers['conversation.split']({ fromConversationId: phone.id, messageIds: ['m3'], callIds: ['call1'] })
    const [row] = listOutboxByName(db, ['moveItems'])
    discardAction(db, row!.mutationId)
    expect([where('m3'), where('call1')]).toEqual([phone.id, phone.id])
    expect(getEntity(db, 'conversation', conversationId)).toBeNull()
    expect(getEntity(db, 'event', moveId)).toBeNull()
    expect(getEntity(db, 'event', `${moveId}:in`)).toBeNull()
    expect(current('conversation', phone.id)).toEqual(phone)
  })

  it('refuses items no longer in the conversation, and another customer\'s conversation', async () => {
    expect(() => handlers['conversation.moveItems']({ fromConversationId: email.id, toConversationId: phone.id, messageIds: ['m1'], callIds: [] })).toThrow(/no longer in the conversation/)
    expect(() => handlers['conversation.moveItems']({ fromConversationId: phone.id, toConversationId: other.id, messageIds: ['m1'], callIds: [] })).toThrow(/same customer/)
    expect(() => handlers['conversation.undoMove']({ moveId: 'nope' })).toThrow(/not known/)
  })
})

describe('priority and replies on another channel, before the server has them', () => {
  it('sets the priority at once', async () => {
    handlers['conversation.setPriority']({ conversationId: phone.id, priority: 'urgent' })
    expect(current('conversation', phone.id)?.priority).toBe('urgent')
    expect(db.prepare('SELECT priority FROM conversations WHERE id = ?').pluck().get(phone.id)).toBe(3)
  })

  it('a reply on a chosen channel stays in the conversation on screen, on that channel', async () => {
    const voice = conversation('v-voice', 'c1', { channel: 'voice', lastMessageAt: 10 })
    sync([['conversation', voice]])
    const { messageId } = await handlers['conversation.reply']({ conversationId: voice.id, channel: 'sms', text: 'Following up by text' })
    expect(current('message', messageId)).toMatchObject({ conversationId: voice.id, channel: 'sms', subject: null, direction: 'outbound' })
    const [row] = listOutboxByName(db, ['reply'])
    expect(row?.args).toMatchObject({ conversationId: voice.id, channel: 'sms' })
    // She has texted before: the server sends from the number she used, so none is named.
    expect(row?.args).not.toHaveProperty('inbox')
  })

  it('names the newest inbox of the channel for a customer who never used it', async () => {
    const caller = conversation('v-caller', 'c2', { channel: 'voice', inbox: 'phone-line' })
    sync([['conversation', caller]])
    await handlers['conversation.reply']({ conversationId: caller.id, channel: 'sms', text: 'We will text you the tracking link' })
    const [row] = listOutboxByName(db, ['reply'])
    expect(row?.args).toMatchObject({ conversationId: caller.id, channel: 'sms', inbox: phone.inbox })
  })
})
