import { systemActor } from '../../shared/actors'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { InboundMessage } from '../../shared/ingest'
import { ingestInbound, prepareWithoutHtml } from '../ingest/ingest'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store, TimelineEntry } from '../store/store'
import { ChangeFeed } from '../sync/commit'

const TEST_ACTOR = systemActor('test')

let dir: string
let store: Store
let feed: ChangeFeed
let seq = 0

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-suggest-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  feed = new ChangeFeed(store)
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const ingest = (item: Omit<InboundMessage, 'externalId'>) =>
  ingestInbound(prepareWithoutHtml({ externalId: `m-${++seq}`, ...item }), { commit: feed.as(TEST_ACTOR), actor: TEST_ACTOR, defaultCountry: 'US' })

const email = (address: string, name?: string): Omit<InboundMessage, 'externalId'> => ({
  channel: 'email',
  from: { kind: 'email', address, ...(name ? { name } : {}) },
  text: 'hello',
})

const suggestionEvents = async (customerId: string) =>
  (await store.timeline(customerId, null, 100)).items.filter(
    (e): e is Extract<TimelineEntry, { kind: 'event' }> => e.kind === 'event' && e.item.type === 'identity_suggested',
  )

describe('identity suggestions', () => {
  it('suggests a known customer with the same name and an address at the same email domain, without merging', async () => {
    const known = await ingest(email('dana.white@acme.test', 'Dana White'))
    const other = await ingest(email('dwhite@ACME.test', 'dana white'))

    expect(other.customerId).not.toBe(known.customerId)
    expect((await store.identitiesOf(known.customerId)).map((i) => i.address)).toEqual(['dana.white@acme.test'])
    const [event] = await suggestionEvents(other.customerId)
    expect(event?.item.conversationId).toBe(other.conversationId)
    expect(event?.item.data).toMatchObject({
      suggestedCustomerId: known.customerId,
      reason: 'same_name_and_email_domain',
    })
    expect(await store.customerSuggestions(known.customerId)).toMatchObject([
      { customerId: other.customerId, candidateId: known.customerId, status: 'open' },
    ])
  })

  it('does not suggest on a different domain, a different name, or a message without a name', async () => {
    await ingest(email('dana.white@acme.test', 'Dana White'))
    const otherDomain = await ingest(email('dana.white@elsewhere.test', 'Dana White'))
    const otherName = await ingest(email('dana.black@acme.test', 'Dana Black'))
    const noName = await ingest(email('dw@acme.test'))
    for (const r of [otherDomain, otherName, noName]) expect(await suggestionEvents(r.customerId)).toEqual([])
  })

  it('suggests once per pair of customers, however often the evidence repeats', async () => {
    const known = await ingest(email('dana.white@acme.test', 'Dana White'))
    const other = await ingest(email('dwhite@acme.test', 'Dana White'))
    await ingest(email('dwhite@acme.test', 'Dana White'))
    await ingest(email('dana.white@acme.test', 'Dana White'))
    expect(await suggestionEvents(other.customerId)).toHaveLength(1)
    expect(await store.customerSuggestions(known.customerId)).toHaveLength(1)
  })

  it('suggests the customer a chat visitor’s pre-chat email belongs to when the visitor is already someone else', async () => {
    const maya = await ingest(email('maya@example.test', 'Maya Lindqvist'))
    const visitor = await ingest({ channel: 'chat', from: { kind: 'chat', address: 'visitor-1' }, text: 'hi', threadKey: 'webchat:visitor-1' })
    expect(visitor.customerId).not.toBe(maya.customerId)

    const later = await ingest({
      channel: 'chat',
      from: { kind: 'chat', address: 'visitor-1', name: 'Maya' },
      alsoKnownAs: [{ kind: 'email', address: 'Maya@Example.test' }],
      text: 'it is me again',
      threadKey: 'webchat:visitor-1',
    })

    // The visitor id decides who wrote; the email stays with its owner.
    expect(later.customerId).toBe(visitor.customerId)
    expect((await store.findIdentity('email', 'maya@example.test'))?.customerId).toBe(maya.customerId)
    const [event] = await suggestionEvents(visitor.customerId)
    expect(event?.item.data).toMatchObject({
      suggestedCustomerId: maya.customerId,
      reason: 'disclosed_identity_of_other_customer',
    })
    expect(String(event?.item.data.detail)).toContain('maya@example.test')
  })

  it('links a new visitor through the pre-chat email without any suggestion', async () => {
    const maya = await ingest(email('maya@example.test', 'Maya Lindqvist'))
    const visitor = await ingest({
      channel: 'chat',
      from: { kind: 'chat', address: 'visitor-2', name: 'Maya' },
      alsoKnownAs: [{ kind: 'email', address: 'maya@example.test' }],
      text: 'hello',
      threadKey: 'webchat:visitor-2',
    })
    expect(visitor.customerId).toBe(maya.customerId)
    expect(await suggestionEvents(maya.customerId)).toEqual([])
  })

  it('does not suggest for a phone number written differently: it is the same E.164 number', async () => {
    const first = await ingest({ channel: 'sms', from: { kind: 'phone', address: '+1 (415) 555-2671', name: 'Sam' }, text: 'hi' })
    const second = await ingest({ channel: 'sms', from: { kind: 'phone', address: '415.555.2671', name: 'Sam' }, text: 'again' })
    expect(second.customerId).toBe(first.customerId)
    expect(await suggestionEvents(first.customerId)).toEqual([])
  })
})

describe('claimed addresses', () => {
  const chat = (visitor: string, claims: InboundMessage['alsoKnownAs']): Omit<InboundMessage, 'externalId'> => ({
    channel: 'chat',
    from: { kind: 'chat', address: visitor },
    alsoKnownAs: claims,
    text: 'hi, what was my reset code again?',
    threadKey: `webchat:${visitor}`,
  })

  it('never attaches a visitor to the customer whose email they typed: the agent gets a suggestion', async () => {
    const maya = await ingest(email('maya@example.test', 'Maya Lindqvist'))
    const visitor = await ingest(chat('visitor-9', [{ kind: 'email', address: 'Maya@example.test', unverified: 'typed_in_chat' }]))

    expect(visitor.customerId).not.toBe(maya.customerId)
    expect((await store.identitiesOf(maya.customerId)).map((i) => i.address)).toEqual(['maya@example.test'])
    expect((await store.identitiesOf(visitor.customerId)).map((i) => i.kind)).toEqual(['chat'])
    expect((await suggestionEvents(visitor.customerId))[0]?.item.data).toMatchObject({
      suggestedCustomerId: maya.customerId,
      detail: expect.stringMatching(/typed it into the chat form without proving it, so nothing was linked/),
    })
    // The event travels with the visitor's conversation, to agents who may not see Maya's inboxes.
    expect(JSON.stringify((await suggestionEvents(visitor.customerId))[0]?.item.data)).not.toContain('Lindqvist')
  })

  it('keeps an unknown typed address as unverified, and hands it to whoever proves it', async () => {
    const visitor = await ingest(chat('visitor-10', [{ kind: 'email', address: 'sam@example.test', unverified: 'typed_in_chat' }]))
    const claim = await store.findIdentity('email', 'sam@example.test')
    expect(claim).toMatchObject({ customerId: visitor.customerId, unverified: 'typed_in_chat' })

    // The real Sam writes: the address is theirs, proven, and the visitor's record is only suggested.
    const sam = await ingest(email('sam@example.test', 'Sam Rivera'))
    expect(sam.customerId).not.toBe(visitor.customerId)
    expect(await store.findIdentity('email', 'sam@example.test')).toMatchObject({ id: claim!.id, customerId: sam.customerId, unverified: null })
    expect((await suggestionEvents(sam.customerId))[0]?.item.data).toMatchObject({
      suggestedCustomerId: visitor.customerId,
      detail: expect.stringMatching(/claimed by the other customer without proof/),
    })
    // A second typed claim of a proven address stays a suggestion.
    const again = await ingest(chat('visitor-11', [{ kind: 'email', address: 'sam@example.test', unverified: 'typed_in_chat' }]))
    expect(again.customerId).not.toBe(sam.customerId)
  })

  it('links a visitor through an email they proved', async () => {
    const maya = await ingest(email('maya@example.test', 'Maya Lindqvist'))
    const visitor = await ingest(chat('visitor-12', [{ kind: 'email', address: 'maya@example.test' }]))
    expect(visitor.customerId).toBe(maya.customerId)
  })

  it('stores an email failing DMARC apart from the customer it names, marked, outside their threads', async () => {
    const maya = await ingest(email('maya@example.test', 'Maya Lindqvist'))
    const first = (await store.getConversation(maya.conversationId))!
    const spoofed = await ingest({
      channel: 'email',
      from: { kind: 'email', address: 'maya@example.test', name: 'Maya Lindqvist', unverified: 'failed_dmarc' },
      subject: 'Re: hello',
      inReplyTo: first.threadKey,
      references: [first.threadKey],
      text: 'Please send the invoice to my new address.',
    })
    expect(spoofed.customerId).not.toBe(maya.customerId)
    expect(spoofed.conversationId).not.toBe(maya.conversationId)
    expect(await store.getMessage(spoofed.itemId)).toMatchObject({ unverifiedSender: 'failed_dmarc' })
    expect(await store.identitiesOf(spoofed.customerId)).toEqual([])
    expect((await suggestionEvents(spoofed.customerId))[0]?.item.data).toMatchObject({
      suggestedCustomerId: maya.customerId,
      detail: expect.stringMatching(/failed its domain's DMARC check/),
    })
  })
})
