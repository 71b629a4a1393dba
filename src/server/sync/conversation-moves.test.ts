import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemActor, userActor } from '../../shared/actors'
import type { InboundMessage } from '../../shared/ingest'
import type { MutationName } from '../../shared/mutations'
import { ingestInbound, prepareWithoutHtml } from '../ingest/ingest'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store } from '../store/store'
import { ChangeFeed } from './commit'
import { applyMutation } from './mutations'

/** Splitting messages out of a conversation and moving them between a customer's conversations, against a real SQLite store. */

const SYSTEM = systemActor('test')
const HOUR = 3_600_000
const T0 = Date.UTC(2026, 2, 2, 9)

let dir: string
let store: Store
let feed: ChangeFeed
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-moves-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  feed = new ChangeFeed(store)
  await feed.as(SYSTEM)(async (w) => {
    await w.put('user', { id: 'agent', name: 'Agent', email: 'agent@x.test', role: 'agent', team: null, inboxes: null, createdAt: 1 })
    await w.put('user', { id: 'sms-only', name: 'Sam', email: 'sam@x.test', role: 'agent', team: null, inboxes: ['SMS'], createdAt: 1 })
  })
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const ingest = (item: InboundMessage) => ingestInbound(prepareWithoutHtml(item), { commit: feed.as(SYSTEM), actor: SYSTEM, defaultCountry: 'US' })
const phone = { kind: 'phone' as const, address: '+14155550101' }
const sms = (id: string, text: string, at: number) => ingest({ channel: 'sms', inbox: 'SMS', externalId: id, from: phone, text, sentAt: at })
const run = async (who: string, name: MutationName, args: unknown) => applyMutation(feed.as(userActor(who)), (await store.getUser(who))!, { name, args })
const messagesOf = async (conversationId: string) => (await store.conversationItems(conversationId)).messages.map((m) => m.text).sort()

describe('split and move', () => {
  it('splits messages into a new conversation that continues this one, and undo brings them back', async () => {
    const first = await sms('SM1', 'my order is late', T0)
    const second = await sms('SM2', 'also, change my address', T0 + HOUR)
    await sms('SM3', 'to 5 Elm St', T0 + 2 * HOUR)
    const moved = (await store.conversationItems(first.conversationId)).messages.filter((m) => m.id !== first.itemId).map((m) => m.id)
    const split = await run('agent', 'moveItems', { moveId: 'mv1', fromConversationId: first.conversationId, toConversationId: 'new-1', split: true, messageIds: moved })
    expect(split.outcome).toBe('applied')
    expect(await messagesOf(first.conversationId)).toEqual(['my order is late'])
    expect(await messagesOf('new-1')).toEqual(['also, change my address', 'to 5 Elm St'])
    expect(await store.getConversation('new-1')).toMatchObject({
      customerId: first.customerId, status: 'open', previousConversationId: first.conversationId, assigneeId: 'agent',
      lastMessageAt: T0 + 2 * HOUR, waitingSince: T0 + HOUR,
    })
    expect(await store.getConversation(first.conversationId)).toMatchObject({ lastMessageAt: T0, waitingSince: T0 })
    // The number follows the messages: her next SMS lands in the new conversation.
    expect((await sms('SM4', 'any news on the address?', T0 + 3 * HOUR)).conversationId).toBe('new-1')
    // A retry of the same move changes nothing.
    expect((await run('agent', 'moveItems', { moveId: 'mv1', fromConversationId: first.conversationId, toConversationId: 'new-1', split: true, messageIds: moved })).outcome).toBe('duplicate')

    expect((await run('agent', 'undoMove', { moveId: 'mv1' })).outcome).toBe('applied')
    expect(await messagesOf(first.conversationId)).toEqual(['also, change my address', 'my order is late', 'to 5 Elm St'])
    // What arrived after the split stays where it went.
    expect(await messagesOf('new-1')).toEqual(['any news on the address?'])
    expect((await run('agent', 'undoMove', { moveId: 'mv1' })).outcome).toBe('duplicate')
    const events = (await store.conversationItems(first.conversationId)).events.filter((e) => e.type === 'items_moved')
    expect(events.map((e) => [e.data.direction, e.data.undo ?? false])).toEqual([['out', false], ['in', true]])
    expect(second.conversationId).toBe(first.conversationId)
  })

  it('moves a message into another conversation of the same customer and closes an emptied split on undo', async () => {
    const a = await sms('SM1', 'refund please', T0)
    const message = (await store.conversationItems(a.conversationId)).messages[0]!
    expect((await run('agent', 'moveItems', { moveId: 'mv2', fromConversationId: a.conversationId, toConversationId: 'solo', split: true, messageIds: [message.id] })).outcome).toBe('applied')
    expect(await messagesOf(a.conversationId)).toEqual([])
    expect((await run('agent', 'undoMove', { moveId: 'mv2' })).outcome).toBe('applied')
    expect(await store.getConversation('solo')).toMatchObject({ status: 'resolved', waitingSince: null })
    expect(await messagesOf(a.conversationId)).toEqual(['refund please'])

    const mail = await ingest({ channel: 'email', inbox: 'Support', externalId: '<m1@x>', from: { kind: 'email', address: 'ann@x.test' }, text: 'hello', sentAt: T0 })
    const other = await run('agent', 'moveItems', { moveId: 'mv3', fromConversationId: a.conversationId, toConversationId: mail.conversationId, messageIds: [message.id] })
    expect(other).toMatchObject({ outcome: 'rejected', error: 'messages can only move between conversations of the same customer' })
  })

  it('refuses items of another conversation, a taken move id, and conversations the agent cannot see', async () => {
    const a = await sms('SM1', 'one', T0)
    const mine = (await store.conversationItems(a.conversationId)).messages[0]!
    expect(await run('agent', 'moveItems', { moveId: 'x1', fromConversationId: a.conversationId, toConversationId: 'n', split: true, messageIds: ['nope'] })).toMatchObject({
      outcome: 'rejected',
      error: 'message nope is not in this conversation',
    })
    expect(await run('agent', 'moveItems', { moveId: 'x2', fromConversationId: a.conversationId, toConversationId: a.conversationId, messageIds: [mine.id] })).toMatchObject({
      outcome: 'rejected',
      error: expect.stringContaining('already in that conversation'),
    })
    const mail = await ingest({ channel: 'email', inbox: 'Support', externalId: '<m2@x>', from: { kind: 'email', address: 'x@x.test' }, text: 'hi', sentAt: T0 })
    expect(await run('sms-only', 'moveItems', { moveId: 'x3', fromConversationId: mail.conversationId, toConversationId: 'n2', split: true, messageIds: [mine.id] })).toMatchObject({
      outcome: 'rejected',
      error: `unknown conversation ${mail.conversationId}`,
    })
    expect(await run('agent', 'undoMove', { moveId: 'never' })).toMatchObject({ outcome: 'rejected', error: 'unknown move never' })
  })
})
