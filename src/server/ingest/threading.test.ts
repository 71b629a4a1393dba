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
import { normalizeSubject, stripReplyPrefixes, threadInbound } from './threading'

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
    const decision = await threadInbound(reply, first.customerId, store)
    expect(decision).toMatchObject({ kind: 'existing', conversation: { id: first.conversationId } })
  })

  it('email: a message referencing nothing known starts a thread keyed by its root Message-ID', async () => {
    const { customerId } = await ingest({ channel: 'email', externalId: '<a@mail>', from: ann, text: 'one' })
    expect(await threadInbound(parse({ channel: 'email', externalId: '<b@mail>', from: ann, text: 'two' }), customerId, store)).toEqual({
      kind: 'new',
      threadKey: '<b@mail>',
    })
    const orphanReply = parse({ channel: 'email', externalId: '<c@mail>', from: ann, text: 'three', references: ['<lost-root@mail>', '<lost@mail>'] })
    expect(await threadInbound(orphanReply, customerId, store)).toEqual({ kind: 'new', threadKey: '<lost-root@mail>' })
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
    const keyless = await threadInbound(parse({ channel: 'chat', externalId: 'c4', from: visitor, text: '?' }), s1.customerId, store)
    expect(keyless).toMatchObject({ kind: 'existing', conversation: { id: s2.conversationId } })
  })

  it('sms/whatsapp: continue the latest unresolved conversation on that channel and inbox, else start one', async () => {
    const phone = { kind: 'phone' as const, address: '+14155552671' }
    const a = await ingest({ channel: 'sms', inbox: '+18005550100', externalId: 'SM1', from: phone, text: 'hi' })
    expect((await ingest({ channel: 'sms', inbox: '+18005550100', externalId: 'SM2', from: phone, text: 'again' })).conversationId).toBe(a.conversationId)
    // Another inbox, another channel: separate conversations, same customer.
    const otherInbox = await ingest({ channel: 'sms', inbox: '+18005550199', externalId: 'SM3', from: phone, text: 'hi' })
    const wa = await ingest({ channel: 'whatsapp', inbox: '+18005550100', externalId: 'wamid.1', from: { kind: 'whatsapp', address: '14155552671' }, text: 'hi' })
    expect(new Set([a.conversationId, otherInbox.conversationId, wa.conversationId]).size).toBe(3)
    expect(wa.customerId).toBe(a.customerId)
    await resolve(a.conversationId)
    const afterResolve = await threadInbound(parse({ channel: 'sms', inbox: '+18005550100', externalId: 'SM4', from: phone, text: 'new issue' }), a.customerId, store)
    expect(afterResolve.kind).toBe('new')
  })

  it('voice: each call is its own conversation; a lifecycle update of the same call updates it', async () => {
    const caller = { kind: 'phone' as const, address: '+14155552671' }
    const ringing = await ingest({ channel: 'voice', externalId: 'CA1', from: caller, call: { status: 'ringing' } })
    const done = await ingest({ channel: 'voice', externalId: 'CA1', from: caller, call: { status: 'completed', outcome: 'answered', durationSeconds: 95 } })
    expect(done).toEqual({ ...ringing, duplicate: false })
    expect(await store.getCall(ringing.itemId)).toMatchObject({ status: 'completed', outcome: 'answered', durationSeconds: 95 })
    // A late "ringing" webhook does not move the call backwards and changes nothing.
    expect((await ingest({ channel: 'voice', externalId: 'CA1', from: caller, call: { status: 'ringing' } })).duplicate).toBe(true)
    expect((await store.getCall(ringing.itemId))?.status).toBe('completed')
    const second = await ingest({ channel: 'voice', externalId: 'CA2', from: caller, call: { status: 'ringing' } })
    expect(second.conversationId).not.toBe(ringing.conversationId)
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
