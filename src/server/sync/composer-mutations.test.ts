import { systemActor, userActor } from '../../shared/actors'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Conversation, User } from '../../shared/domain'
import type { MutationName } from '../../shared/mutations'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store } from '../store/store'
import { ChangeFeed } from './commit'
import { applyMutation } from './mutations'

const TEST_ACTOR = systemActor('test')

/** Starting conversations, email subject and cc, and logged calls, against a real SQLite store. */

let dir: string
let store: Store
let feed: ChangeFeed
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-composer-unit-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  feed = new ChangeFeed(store)
  await feed.as(TEST_ACTOR)(async (w) => {
    await w.put('user', user('all', null))
    await w.put('user', user('sms-only', ['SMS']))
    await w.put('customer', { id: 'cu', name: 'Maya', labels: [], attributes: {}, consent: {}, createdAt: 1, updatedAt: 1, lastActivityAt: 1 })
    await w.put('identity', { id: 'i1', customerId: 'cu', kind: 'email', address: 'maya@x.test', displayName: null, createdAt: 1 })
    await w.put('identity', { id: 'i2', customerId: 'cu', kind: 'phone', address: '+15550001111', displayName: null, createdAt: 1 })
    await w.put('conversation', conversation('mail', 'email', 'Support', 'Order 5', 10))
    await w.put('conversation', conversation('old-sms', 'sms', 'SMS', null, 5))
    await w.putThread({ channel: 'email', threadKey: '<order5@x.test>', conversationId: 'mail', inbox: 'Support', lastAt: 10 })
    await w.putThread({ channel: 'sms', threadKey: 'sms:SMS:cu', conversationId: 'old-sms', inbox: 'SMS', lastAt: 5 })
  })
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function user(id: string, inboxes: string[] | null): User {
  return { id, name: id, email: `${id}@agents.test`, role: 'agent', team: null, inboxes, createdAt: 1 }
}
function conversation(id: string, channel: Conversation['channel'], inbox: string, subject: string | null, at: number): Conversation {
  return {
    id, customerId: 'cu', channel, inbox, subject, status: 'resolved', snoozedUntil: null, assigneeId: null, team: null,
    threadKey: id, labels: [], priority: 'normal', previousConversationId: null, lastMessageAt: at, waitingSince: null, createdAt: at, updatedAt: at,
  }
}

let mutationId = 0
const run = async (who: string, name: MutationName, args: unknown) =>
  applyMutation(feed.as(userActor(who)), (await store.getUser(who))!, { name, args }, { clientId: 'c1', mutationId: ++mutationId })

describe('reply starting a conversation', () => {
  it('opens it in the customer’s most recent inbox on the channel, with the message, once', async () => {
    const args = { messageId: 'm1', conversationId: 'new-sms', channel: 'sms', customerId: 'cu', text: 'Your order shipped' }
    expect(await run('all', 'reply', args)).toMatchObject({ outcome: 'applied' })
    const started = await store.getConversation('new-sms')
    expect(started).toMatchObject({ customerId: 'cu', channel: 'sms', inbox: 'SMS', status: 'open', assigneeId: 'all' })
    expect(await store.getMessage('m1')).toMatchObject({ conversationId: 'new-sms', channel: 'sms', deliveryStatus: 'queued' })
    // The dispatcher finds her phone number for it.
    expect((await store.recipientFor((await store.getMessage('m1'))!))?.address).toBe('+15550001111')
    // A lost acknowledgement: the same mutation again under a new id changes nothing.
    expect(await run('all', 'reply', args)).toMatchObject({ outcome: 'duplicate' })
    expect((await store.conversationsOf('cu')).filter((c) => c.channel === 'sms')).toHaveLength(2)
  })

  it('uses the inbox given, needs one when the customer has none on the channel, and checks access', async () => {
    const whatsapp = { messageId: 'm2', conversationId: 'new-wa', channel: 'whatsapp', customerId: 'cu', text: 'hi' }
    expect(await run('all', 'reply', whatsapp)).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('name the inbox') })
    expect(await store.getConversation('new-wa')).toBeNull()
    expect(await run('all', 'reply', { ...whatsapp, inbox: 'WhatsApp' })).toMatchObject({ outcome: 'applied' })
    expect((await store.getConversation('new-wa'))?.inbox).toBe('WhatsApp')
    const refused = await run('sms-only', 'reply', { ...whatsapp, messageId: 'm3', conversationId: 'new-wa-2', inbox: 'WhatsApp' })
    expect(refused).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('cannot access inbox "WhatsApp"') })
  })

  it('refuses chat (nobody is there to answer), another customer’s id, and a new email without a subject', async () => {
    expect(await run('all', 'reply', { messageId: 'm4', conversationId: 'c-chat', channel: 'chat', customerId: 'cu', inbox: 'Chat', text: 'hi' })).toMatchObject({
      outcome: 'rejected',
      error: expect.stringContaining('visitor writes'),
    })
    expect(await run('all', 'reply', { messageId: 'm5', conversationId: 'mail', channel: 'sms', customerId: 'someone-else', text: 'hi' })).toMatchObject({
      outcome: 'rejected',
      error: 'conversation id mail is already taken',
    })
    expect(await run('all', 'reply', { messageId: 'm5b', conversationId: 'mail', channel: 'chat', text: 'hi' })).toMatchObject({
      outcome: 'rejected',
      error: expect.stringContaining('has not written by chat in this conversation'),
    })
    expect(await run('all', 'reply', { messageId: 'm6', conversationId: 'new-mail', channel: 'email', customerId: 'cu', text: 'hi' })).toMatchObject({
      outcome: 'rejected',
      error: 'a new email conversation needs a subject',
    })
    const ok = await run('all', 'reply', { messageId: 'm7', conversationId: 'new-mail', channel: 'email', customerId: 'cu', text: 'hi', subject: 'Your refund' })
    expect(ok.outcome).toBe('applied')
    expect(await store.getConversation('new-mail')).toMatchObject({ inbox: 'Support', subject: 'Your refund' })
    expect((await store.getMessage('m7'))?.subject).toBe('Your refund')
  })
})

describe('reply on another channel', () => {
  it('stays in the conversation on screen, leaves from the customer’s inbox on that channel, and takes the number over', async () => {
    expect(await run('all', 'reply', { messageId: 's1', conversationId: 'mail', channel: 'sms', text: 'Texting you the label' })).toMatchObject({ outcome: 'applied' })
    expect(await store.getMessage('s1')).toMatchObject({ conversationId: 'mail', channel: 'sms', subject: null })
    expect((await store.conversationThreads('mail')).map((t) => [t.channel, t.inbox])).toEqual([['sms', 'SMS'], ['email', 'Support']])
    // Her answer by SMS comes back here, not to the old SMS conversation.
    expect((await store.latestConversationOnChannel('cu', 'sms', 'SMS'))?.id).toBe('mail')
    expect(await store.getConversation('mail')).toMatchObject({ channel: 'email' })
  })
})

describe('email subject and cc', () => {
  it('stores the chosen subject and the copies on the message; defaults to Re: the subject', async () => {
    await run('all', 'reply', { messageId: 'e1', conversationId: 'mail', text: 'hi', subject: 'Refund for order 5', cc: ['boss@x.test'] })
    expect(await store.getMessage('e1')).toMatchObject({ subject: 'Refund for order 5', cc: ['boss@x.test'] })
    await run('all', 'reply', { messageId: 'e2', conversationId: 'mail', text: 'hi again' })
    expect(await store.getMessage('e2')).toMatchObject({ subject: 'Re: Order 5', cc: null })
  })

  it('refuses a cc that is not an email address, and cc outside email', async () => {
    const bad = await run('all', 'reply', { messageId: 'e3', conversationId: 'mail', text: 'hi', cc: ['not an address'] })
    expect(bad).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('cc needs email addresses') })
    const sms = await run('all', 'reply', { messageId: 'e4', conversationId: 'old-sms', text: 'hi', cc: ['a@x.test'] })
    expect(sms).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('for email') })
    expect(await store.getMessage('e3')).toBeNull()
  })
})

describe('logCall', () => {
  const call = { callId: 'k1', conversationId: 'new-voice', customerId: 'cu', direction: 'outbound', outcome: 'voicemail', durationSeconds: 75, notes: 'Left a message about the refund' }

  it('opens a voice conversation for a customer without one and records the call in it', async () => {
    expect(await run('all', 'logCall', call)).toMatchObject({ outcome: 'applied' })
    expect(await store.getConversation('new-voice')).toMatchObject({ channel: 'voice', customerId: 'cu', inbox: 'Support' })
    expect(await store.getCall('k1')).toMatchObject({
      conversationId: 'new-voice', direction: 'outbound', outcome: 'voicemail', status: 'completed', durationSeconds: 75,
      notes: 'Left a message about the refund', agentId: 'all',
    })
    // Logged into the same conversation next time.
    expect(await run('all', 'logCall', { ...call, callId: 'k2', outcome: 'answered', notes: '' })).toMatchObject({ outcome: 'applied' })
    expect(await store.getCall('k2')).toMatchObject({ conversationId: 'new-voice', notes: null })
    expect((await store.conversationsOf('cu')).filter((c) => c.channel === 'voice')).toHaveLength(1)
  })

  it('refuses a bad outcome, and logs a call into the conversation on screen whatever its channel', async () => {
    expect(await run('all', 'logCall', { ...call, outcome: 'hung up' })).toMatchObject({ outcome: 'rejected', error: expect.stringContaining('invalid logCall') })
    expect(await store.getCall('k1')).toBeNull()
    expect(await run('all', 'logCall', { ...call, conversationId: 'mail' })).toMatchObject({ outcome: 'applied' })
    expect(await store.getCall('k1')).toMatchObject({ conversationId: 'mail' })
  })
})

describe('reply HTML', () => {
  it('refuses a body nested deeper than any editor writes, before it is sanitized', async () => {
    const args = { messageId: 'deep', conversationId: 'mail', text: 'x', html: '<p>' + '<b>'.repeat(100_000) + 'x</p>' }
    expect(await run('all', 'reply', args)).toMatchObject({ outcome: 'rejected', error: expect.stringMatching(/nests more than 2000 elements/) })
    expect(await store.getMessage('deep')).toBeNull()
  })
})

describe('assigning', () => {
  it('refuses a deactivated user as the assignee', async () => {
    const gone = { ...user('gone', null), deactivatedAt: 5 }
    await feed.as(TEST_ACTOR)((w) => w.put('user', gone))
    expect(await run('all', 'assign', { conversationId: 'mail', assigneeId: 'gone' })).toMatchObject({
      outcome: 'rejected',
      error: 'gone is deactivated and cannot be assigned conversations',
    })
    expect((await run('all', 'assign', { conversationId: 'mail', assigneeId: 'all' })).outcome).toBe('applied')
  })
})
