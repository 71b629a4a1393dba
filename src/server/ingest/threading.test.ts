import { systemActor, userActor } from '../../shared/actors'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { InboundMessage, ParsedInboundMessage } from '../../shared/ingest'
import { InboundMessage as InboundSchema } from '../../shared/ingest'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store } from '../store/store'
import { ChangeFeed } from '../sync/commit'
import { applyMutation } from '../sync/mutations'
import { ingestInbound, prepareWithoutHtml } from './ingest'
import { DEFAULT_MATTER_WINDOWS, normalizeSubject, stripReplyPrefixes, threadInbound, type ThreadingItem } from './threading'

const TEST_ACTOR = systemActor('test')

let dir: string
let store: Store
let feed: ChangeFeed

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-threading-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  feed = new ChangeFeed(store)
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const ingest = (item: InboundMessage) => ingestInbound(prepareWithoutHtml(item), { commit: feed.as(TEST_ACTOR), actor: TEST_ACTOR, defaultCountry: 'US' })
const HOUR = 3_600_000
/** Where the item would go now, with the default windows. */
const decide = (item: ThreadingItem, customerId: string, at = Date.now()) => threadInbound(item, customerId, at, DEFAULT_MATTER_WINDOWS, store)
const parse = (item: InboundMessage): ParsedInboundMessage => InboundSchema.parse(item)
const ann = { kind: 'email' as const, address: 'ann@example.com', name: 'Ann' }

async function resolve(conversationId: string): Promise<void> {
  const agent = await feed.as(TEST_ACTOR)(async (w) => {
    const user = { id: 'agent-1', name: 'Agent', email: 'agent@x.test', role: 'agent' as const, team: null, inboxes: null, createdAt: 1 }
    await w.put('user', user)
    return user
  })
  const result = await applyMutation(feed.as(userActor(agent.id)), agent, { name: 'setStatus', args: { conversationId, status: 'resolved' } })
  expect(result.outcome).toBe('applied')
}

describe('threadInbound', () => {
  it('email: a reply joins the conversation holding the message it references', async () => {
    const first = await ingest({ channel: 'email', externalId: '<root@mail>', from: ann, subject: 'Order', text: 'Where is it?' })
    const reply = parse({ channel: 'email', externalId: '<r2@mail>', from: ann, text: 'Any news?', inReplyTo: '<root@mail>', references: ['<root@mail>'] })
    const decision = await decide(reply, first.customerId)
    expect(decision).toMatchObject({ kind: 'existing', conversation: { id: first.conversationId } })
  })

  it('email: a message referencing nothing known starts a thread keyed by its root Message-ID', async () => {
    const { customerId } = await ingest({ channel: 'email', externalId: '<a@mail>', from: ann, text: 'one' })
    expect(await decide(parse({ channel: 'email', externalId: '<b@mail>', from: ann, text: 'two' }), customerId)).toEqual({
      kind: 'new',
      threadKey: '<b@mail>',
      previous: null,
    })
    const orphanReply = parse({ channel: 'email', externalId: '<c@mail>', from: ann, text: 'three', references: ['<lost-root@mail>', '<lost@mail>'] })
    expect(await decide(orphanReply, customerId)).toEqual({ kind: 'new', threadKey: '<lost-root@mail>', previous: null })
  })

  it('email: a new message from the same customer without references is a new conversation', async () => {
    const a = await ingest({ channel: 'email', externalId: '<a@mail>', from: ann, subject: 'A', text: 'one' })
    const b = await ingest({ channel: 'email', externalId: '<b@mail>', from: ann, subject: 'B', text: 'two' })
    expect(b.customerId).toBe(a.customerId)
    expect(b.conversationId).not.toBe(a.conversationId)
  })

  it('email: without known headers, a reply subject falls back to the same customer and inbox', async () => {
    const order = await ingest({ channel: 'email', inbox: 'support', externalId: '<o1@mail>', from: ann, subject: 'Order 5512 late', text: 'where?' })
    await ingest({ channel: 'email', inbox: 'support', externalId: '<o2@mail>', from: ann, subject: 'Invoice', text: 'copy please' })
    // The client dropped In-Reply-To/References: only the subject says which thread it answers.
    const bare = await ingest({ channel: 'email', inbox: 'support', externalId: '<o3@mail>', from: ann, subject: 'RE: Fwd:  order 5512 LATE', text: 'still waiting' })
    expect(bare.conversationId).toBe(order.conversationId)
    // Unknown references (a parent we never stored) count as a reply too.
    const orphan = await ingest({
      channel: 'email', inbox: 'support', externalId: '<o4@mail>', from: ann, subject: 'Order 5512 late', text: 'hello?', references: ['<elsewhere@mail>'],
    })
    expect(orphan.conversationId).toBe(order.conversationId)
  })

  it('email: the subject fallback never joins a first message, another customer or another inbox', async () => {
    const order = await ingest({ channel: 'email', inbox: 'support', externalId: '<p1@mail>', from: ann, subject: 'Help', text: 'one' })
    const again = await ingest({ channel: 'email', inbox: 'support', externalId: '<p2@mail>', from: ann, subject: 'Help', text: 'a new problem' })
    expect(again.conversationId).not.toBe(order.conversationId)
    const bob = await ingest({ channel: 'email', inbox: 'support', externalId: '<p3@mail>', from: { kind: 'email', address: 'bob@example.com' }, subject: 'Re: Help', text: 'me too' })
    expect([order.conversationId, again.conversationId]).not.toContain(bob.conversationId)
    const billing = await ingest({ channel: 'email', inbox: 'billing', externalId: '<p4@mail>', from: ann, subject: 'Re: Help', text: 'other inbox' })
    expect([order.conversationId, again.conversationId]).not.toContain(billing.conversationId)
  })

  it('subjects compare without reply/forward prefixes, case or spacing', () => {
    expect(stripReplyPrefixes('Re: Fwd: AW:  Order 5 ')).toBe('Order 5')
    expect(stripReplyPrefixes('Re[2]: SV: Order')).toBe('Order')
    expect(stripReplyPrefixes('Regarding: your order')).toBe('Regarding: your order')
    expect(normalizeSubject('RE:  Order   5')).toBe(normalizeSubject('order 5'))
    expect(normalizeSubject('Re:')).toBe('')
  })

  it('chat: an explicit session key threads; without one the latest unresolved chat continues', async () => {
    const visitor = { kind: 'chat' as const, address: 'visitor-9' }
    const s1 = await ingest({ channel: 'chat', externalId: 'c1', from: visitor, text: 'hi', threadKey: 'session-1' })
    expect((await ingest({ channel: 'chat', externalId: 'c2', from: visitor, text: 'still me', threadKey: 'session-1' })).conversationId).toBe(s1.conversationId)
    const s2 = await ingest({ channel: 'chat', externalId: 'c3', from: visitor, text: 'new tab', threadKey: 'session-2' })
    expect(s2.conversationId).not.toBe(s1.conversationId)
    const keyless = await decide(parse({ channel: 'chat', externalId: 'c4', from: visitor, text: '?' }), s1.customerId)
    expect(keyless).toMatchObject({ kind: 'existing', conversation: { id: s2.conversationId } })
  })

  it('sms/whatsapp: continue the conversation that last used the number, reopen it while recent, and start one after', async () => {
    const phone = { kind: 'phone' as const, address: '+14155552671' }
    const t0 = Date.UTC(2026, 0, 5, 9)
    const a = await ingest({ channel: 'sms', inbox: '+18005550100', externalId: 'SM1', from: phone, text: 'hi', sentAt: t0 })
    expect((await ingest({ channel: 'sms', inbox: '+18005550100', externalId: 'SM2', from: phone, text: 'again', sentAt: t0 + HOUR })).conversationId).toBe(a.conversationId)
    // WhatsApp an hour later is the same matter.
    const wa = await ingest({ channel: 'whatsapp', inbox: '+18005550100', externalId: 'wamid.1', from: { kind: 'whatsapp', address: '14155552671' }, text: 'hi', sentAt: t0 + 2 * HOUR })
    expect(wa.conversationId).toBe(a.conversationId)
    await resolve(a.conversationId)
    const sms = (text: string, at: number, id: string) => parse({ channel: 'sms', inbox: '+18005550100', externalId: id, from: phone, text, sentAt: at })
    // Resolved: a day later it reopens; two weeks later a new conversation continues it.
    expect(await decide(sms('one more thing', t0 + 26 * HOUR, 'SM4'), a.customerId, t0 + 26 * HOUR)).toMatchObject({ kind: 'existing', conversation: { id: a.conversationId } })
    expect(await decide(sms('new issue', t0 + 14 * 24 * HOUR, 'SM5'), a.customerId, t0 + 14 * 24 * HOUR)).toMatchObject({
      kind: 'new',
      previous: { id: a.conversationId },
    })
    const later = await ingest({ channel: 'sms', inbox: '+18005550100', externalId: 'SM5', from: phone, text: 'new issue', sentAt: t0 + 14 * 24 * HOUR })
    expect(await store.getConversation(later.conversationId)).toMatchObject({ status: 'open', previousConversationId: a.conversationId })
    expect(await store.getConversation(a.conversationId)).toMatchObject({ status: 'resolved' })
  })

  it('a message on another channel joins the open conversation active within the window, with a "switched" event', async () => {
    const t0 = Date.UTC(2026, 0, 5, 9)
    const visitor = { kind: 'chat' as const, address: 'visitor-7' }
    const chat = await ingest({
      channel: 'chat', externalId: 'ch1', from: visitor, text: 'my parcel is late', threadKey: 'session-7', sentAt: t0,
      alsoKnownAs: [{ kind: 'phone', address: '+14155550123' }],
    })
    const sms = await ingest({ channel: 'sms', inbox: 'SMS', externalId: 'SMx', from: { kind: 'phone', address: '+14155550123' }, text: 'texting instead', sentAt: t0 + 5 * HOUR })
    expect(sms).toMatchObject({ customerId: chat.customerId, conversationId: chat.conversationId })
    expect(await store.getConversation(chat.conversationId)).toMatchObject({ channel: 'sms', status: 'open' })
    const events = (await store.conversationItems(chat.conversationId)).events
    expect(events.map((e) => [e.type, e.data])).toContainEqual(['channel_switched', { from: 'chat', to: 'sms' }])
    // The SMS number now routes here; four days after the last message, another channel starts its own conversation.
    expect((await store.latestConversationOnChannel(chat.customerId, 'sms', 'SMS'))?.id).toBe(chat.conversationId)
    const late = await decide(parse({ channel: 'whatsapp', inbox: 'WA', externalId: 'w9', from: { kind: 'whatsapp', address: '+14155550123' }, text: 'hi' }), chat.customerId, t0 + 5 * HOUR + 73 * HOUR)
    expect(late).toMatchObject({ kind: 'new', previous: null })
  })

  it('never joins a conversation that someone who sees the message’s inbox could not see', async () => {
    await feed.as(TEST_ACTOR)((w) => w.put('user', { id: 'sms-team', name: 'Sam', email: 'sam@x.test', role: 'agent', team: null, inboxes: ['SMS'], createdAt: 1 }))
    const phone = { kind: 'phone' as const, address: '+14155550188' }
    const call = await ingest({ channel: 'voice', inbox: 'Phone', externalId: 'CA-a', from: phone, call: { status: 'completed', outcome: 'missed' } })
    const text = await ingest({ channel: 'sms', inbox: 'SMS', externalId: 'SM-a', from: phone, text: 'call me back' })
    // Sam works the SMS inbox only: the text stays where he sees it.
    expect(text.conversationId).not.toBe(call.conversationId)
    expect(await store.getConversation(text.conversationId)).toMatchObject({ inbox: 'SMS', channel: 'sms' })
    // Once Sam may see the phone inbox too, nobody loses sight of anything: the next call joins the texts.
    await feed.as(TEST_ACTOR)(async (w) => w.put('user', { ...(await w.getUser('sms-team'))!, inboxes: ['SMS', 'Phone'] }))
    const call2 = await ingest({ channel: 'voice', inbox: 'Phone', externalId: 'CA-b', from: phone, call: { status: 'completed', outcome: 'missed' } })
    expect(call2.conversationId).toBe(text.conversationId)
  })

  it('an SMS reply from a phone conversation stays in it, and the customer’s SMS answer joins it', async () => {
    const caller = { kind: 'phone' as const, address: '+14155552671' }
    const old = await ingest({ channel: 'sms', inbox: 'SMS', externalId: 'SM-old', from: caller, text: 'old question', sentAt: Date.now() - 30 * 24 * HOUR })
    await resolve(old.conversationId)
    const call = await ingest({ channel: 'voice', inbox: 'Phone', externalId: 'CA9', from: caller, call: { status: 'completed', outcome: 'missed' } })
    expect(call.conversationId).not.toBe(old.conversationId)
    const agent = (await store.getUser('agent-1'))!
    const sent = await applyMutation(feed.as(userActor(agent.id)), agent, {
      name: 'reply',
      args: { messageId: 'r1', conversationId: call.conversationId, channel: 'sms', text: 'Sorry we missed you — how can we help?' },
    })
    expect(sent.outcome).toBe('applied')
    expect(await store.getMessage('r1')).toMatchObject({ conversationId: call.conversationId, channel: 'sms' })
    expect(await store.getConversation(old.conversationId)).toMatchObject({ status: 'resolved' })
    const answer = await ingest({ channel: 'sms', inbox: 'SMS', externalId: 'SM-new', from: caller, text: 'my invoice is wrong' })
    expect(answer.conversationId).toBe(call.conversationId)
  })

  it('voice: a lifecycle update of a stored call updates it; a second call joins the open matter', async () => {
    const caller = { kind: 'phone' as const, address: '+14155552671' }
    const ringing = await ingest({ channel: 'voice', externalId: 'CA1', from: caller, call: { status: 'ringing' } })
    const done = await ingest({ channel: 'voice', externalId: 'CA1', from: caller, call: { status: 'completed', outcome: 'answered', durationSeconds: 95 } })
    expect(done).toEqual({ ...ringing, duplicate: false })
    expect(await store.getCall(ringing.itemId)).toMatchObject({ status: 'completed', outcome: 'answered', durationSeconds: 95 })
    // A late "ringing" webhook does not move the call backwards and changes nothing.
    expect((await ingest({ channel: 'voice', externalId: 'CA1', from: caller, call: { status: 'ringing' } })).duplicate).toBe(true)
    expect((await store.getCall(ringing.itemId))?.status).toBe('completed')
    const second = await ingest({ channel: 'voice', externalId: 'CA2', from: caller, call: { status: 'ringing' } })
    expect(second.conversationId).toBe(ringing.conversationId)
    expect(second.itemId).not.toBe(ringing.itemId)
  })

  it('a new inbound threaded into a resolved conversation reopens it and records why', async () => {
    const first = await ingest({ channel: 'email', externalId: '<root@mail>', from: ann, subject: 'Refund', text: 'please' })
    await resolve(first.conversationId)
    const reply = await ingest({ channel: 'email', externalId: '<again@mail>', from: ann, text: 'not received', inReplyTo: '<root@mail>' })
    expect(reply.conversationId).toBe(first.conversationId)
    expect(await store.getConversation(first.conversationId)).toMatchObject({ status: 'open', waitingSince: expect.any(Number) })
    const events = (await store.timeline(first.customerId, null, 50)).items.filter((e) => e.kind === 'event')
    expect(events.map((e) => e.item)).toContainEqual(
      expect.objectContaining({ type: 'status_changed', actorId: null, data: { from: 'resolved', to: 'open', reason: 'customer_replied' } }),
    )
  })
})
