import { systemActor, userActor } from '../../shared/actors'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Customer, User } from '../../shared/domain'
import type { Store } from '../store/store'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import { changeConsent } from '../rules/consent-change'
import { consentHistory } from '../../shared/consent-history'
import { applyMutation } from './mutations'
import { ChangeFeed } from './commit'

const TEST_ACTOR = systemActor('test')

/** Merge, undo, labels and dismissals against a real SQLite store. */

let dir: string
let store: Store
let feed: ChangeFeed
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-merge-unit-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  feed = new ChangeFeed(store)
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const user = (id: string, inboxes: string[] | null): User => ({ id, name: id, email: `${id}@agents.test`, role: 'agent', team: null, inboxes, createdAt: 1 })
const customer = (id: string, over: Partial<Customer> = {}): Customer => ({
  id,
  name: `Customer ${id}`,
  labels: [],
  attributes: {},
  consent: {},
  createdAt: 1,
  updatedAt: 1,
  lastActivityAt: 1,
  ...over,
})

async function seed(): Promise<void> {
  await feed.as(TEST_ACTOR)(async (w) => {
    await w.put('user', user('all', null))
    await w.put('user', user('sms-only', ['SMS']))
    await w.put('customer', customer('src', { labels: ['vip'], attributes: { plan: 'pro', city: 'Oslo' }, consent: { promotional: false, sms: true } }))
    await w.put('customer', customer('dst', { labels: ['b2b'], attributes: { plan: 'basic' }, consent: { promotional: true } }))
    await w.put('identity', { id: 'i-src', customerId: 'src', kind: 'email', address: 'a@x.test', displayName: null, createdAt: 1 })
    for (const [id, customerId, inbox] of [['v-src', 'src', 'Support'], ['v-dst', 'dst', 'SMS']] as const) {
      await w.put('conversation', {
        id,
        customerId,
        channel: 'email',
        inbox,
        subject: null,
        status: 'open',
        snoozedUntil: null,
        assigneeId: null,
        team: null,
        threadKey: id,
        labels: [],
        priority: 'normal',
        previousConversationId: null,
        lastMessageAt: 1,
        waitingSince: null,
        createdAt: 1,
        updatedAt: 1,
      })
    }
    await w.put('note', { id: 'n1', conversationId: 'v-src', customerId: 'src', authorId: 'all', authorName: 'all', text: 'hi', mentions: [], createdAt: 2 })
  })
}

const run = async (who: string, name: 'mergeCustomers' | 'unmergeCustomers' | 'customerLabel' | 'verifyIdentity' | 'setConsent', args: unknown) =>
  applyMutation(feed.as(userActor(who)), (await store.getUser(who))!, { name, args })

describe('merge on the server', () => {
  it('refuses an agent who cannot see all of the source’s conversations, and changes nothing', async () => {
    await seed()
    // The agent sees the source through an SMS conversation, but not its email one.
    await feed.as(TEST_ACTOR)(async (w) => w.put('conversation', { ...(await store.getConversation('v-dst'))!, id: 'v-src-sms', customerId: 'src', threadKey: 'v-src-sms' }))
    const before = await store.lastSeq()
    const result = await run('sms-only', 'mergeCustomers', { mergeId: 'm1', sourceId: 'src', targetId: 'dst' })
    expect(result).toMatchObject({ outcome: 'rejected', error: expect.stringMatching(/inboxes you cannot access/) })
    expect(await store.lastSeq()).toBe(before)
    expect((await store.getCustomer('src'))?.mergedInto ?? null).toBeNull()
  })

  it('refuses to label or merge a customer the agent cannot see at all, as if unknown', async () => {
    await seed()
    const before = await store.lastSeq()
    expect(await run('sms-only', 'customerLabel', { customerId: 'src', add: ['vip'], remove: [] })).toMatchObject({
      outcome: 'rejected',
      error: 'unknown customer src',
    })
    expect(await run('sms-only', 'mergeCustomers', { mergeId: 'm1', sourceId: 'dst', targetId: 'src' })).toMatchObject({
      outcome: 'rejected',
      error: 'unknown customer src',
    })
    expect(await store.lastSeq()).toBe(before)
    // The customer they can see is theirs to label.
    expect((await run('sms-only', 'customerLabel', { customerId: 'dst', add: ['vip'], remove: [] })).outcome).toBe('applied')
  })

  it('combines the profiles (withdrawn consent wins) and the undo restores both', async () => {
    await seed()
    expect((await run('all', 'mergeCustomers', { mergeId: 'm1', sourceId: 'src', targetId: 'dst' })).outcome).toBe('applied')
    const merged = (await store.getCustomer('dst'))!
    expect(merged.labels).toEqual(['b2b', 'vip'])
    expect(merged.attributes).toEqual({ plan: 'basic', city: 'Oslo' })
    expect(merged.consent).toEqual({ promotional: false, sms: true })
    expect((await store.getNote('n1'))?.customerId).toBe('dst')
    expect((await store.timeline('dst', null, 10)).items.map((i) => i.kind).sort()).toEqual(['event', 'note'])

    // An agent adds a label after the merge: the undo keeps it.
    expect((await run('all', 'customerLabel', { customerId: 'dst', add: ['followup'] })).outcome).toBe('applied')
    expect((await run('all', 'unmergeCustomers', { mergeId: 'm1' })).outcome).toBe('applied')
    const restored = (await store.getCustomer('dst'))!
    expect(restored.labels).toEqual(['b2b', 'followup'])
    expect(restored.attributes).toEqual({ plan: 'basic' })
    expect(restored.consent).toEqual({ promotional: true })
    expect((await store.getCustomer('src'))?.mergedInto).toBeNull()
    expect((await store.identitiesOf('src')).map((i) => i.id)).toEqual(['i-src'])
    expect((await store.getNote('n1'))?.customerId).toBe('src')
    const mergeEvent = (await store.timeline('src', null, 10)).items.find((i) => i.kind === 'event')
    expect(mergeEvent?.item).toMatchObject({ type: 'customer_merged', data: { mergeId: 'm1', undoneBy: 'all' } })
  })
})

describe('consent across a merge and its undo', () => {
  const consentOf = async (id: string) => {
    const c = (await store.getCustomer(id))!
    return { consent: c.consent, consentChangedAt: c.consentChangedAt ?? null }
  }
  const before = {
    // An older opt-in, a later opt-out, an older opt-out against a later opt-in, and an opt-out whose time is unknown.
    dst: { consent: { promotional: true, sms: false, transactional: false, whatsapp: true }, consentChangedAt: { promotional: 100, sms: 300, transactional: 100, whatsapp: 50 } },
    src: { consent: { promotional: false, sms: true, transactional: true, email: false, whatsapp: false }, consentChangedAt: { promotional: 200, sms: 100, transactional: 200, email: 150 } },
  }
  const seedConsent = async () => {
    await seed()
    await feed.as(TEST_ACTOR)(async (w) => {
      await w.put('customer', { ...(await w.getCustomer('dst'))!, ...before.dst })
      await w.put('customer', { ...(await w.getCustomer('src'))!, ...before.src })
    })
  }
  const lateRequest = (changes: Record<string, boolean>, at: number) =>
    changeConsent(feed.as(TEST_ACTOR), { customerId: 'dst', conversationId: 'v-dst', changes, source: { channel: 'sms', keyword: 'late' }, at, now: 1_000, actor: TEST_ACTOR })

  it('keeps the later answer of the two records per key with its time, and an opt-out whenever the order is unknown', async () => {
    await seedConsent()
    expect((await run('all', 'mergeCustomers', { mergeId: 'm1', sourceId: 'src', targetId: 'dst' })).outcome).toBe('applied')
    expect(await consentOf('dst')).toEqual({
      consent: { promotional: false, sms: false, transactional: true, email: false, whatsapp: false },
      consentChangedAt: { promotional: 200, sms: 300, transactional: 200, email: 150, whatsapp: 50 },
    })
    // A START the customer sent before their STOP, stored only now (a dead-letter retry), does not opt them back in.
    await lateRequest({ promotional: true, sms: true }, 150)
    expect((await store.getCustomer('dst'))?.consent).toMatchObject({ promotional: false, sms: false })
  })

  it('restores both records’ consent and its times exactly on undo', async () => {
    await seedConsent()
    await run('all', 'mergeCustomers', { mergeId: 'm1', sourceId: 'src', targetId: 'dst' })
    // A late request that changes nothing (older than the answers that stand) leaves the undo exact.
    await lateRequest({ promotional: true }, 150)
    expect((await run('all', 'unmergeCustomers', { mergeId: 'm1' })).outcome).toBe('applied')
    expect(await consentOf('dst')).toEqual(before.dst)
    expect(await consentOf('src')).toEqual(before.src)
  })

  it('keeps an answer given after the merge on undo, and an opt-out given since on both records', async () => {
    await seedConsent()
    await run('all', 'mergeCustomers', { mergeId: 'm1', sourceId: 'src', targetId: 'dst' })
    await lateRequest({ transactional: false }, 500)
    await run('all', 'unmergeCustomers', { mergeId: 'm1' })
    expect(await consentOf('dst')).toEqual({
      consent: { ...before.dst.consent, transactional: false },
      consentChangedAt: { ...before.dst.consentChangedAt, transactional: 500 },
    })
    expect(await consentOf('src')).toEqual({
      consent: { ...before.src.consent, transactional: false },
      consentChangedAt: { ...before.src.consentChangedAt, transactional: 500 },
    })
  })
})

describe('vouching for a claimed address', () => {
  const claimBy = (customerId: string) =>
    feed.as(systemActor('test'))((w) =>
      w.put('identity', { id: 'i-claim', customerId, kind: 'email', address: 'typed@x.test', displayName: null, createdAt: 1, unverified: 'typed_in_chat' }),
    )

  it('proves the address once an agent who may see the customer vouches for it', async () => {
    await seed()
    await claimBy('dst')
    expect((await run('sms-only', 'verifyIdentity', { identityId: 'i-claim' })).outcome).toBe('applied')
    expect(await store.getIdentity('i-claim')).toMatchObject({ customerId: 'dst', unverified: null })
  })

  it('refuses an agent who cannot see the customer, as if the address were unknown', async () => {
    await seed()
    await claimBy('src')
    expect(await run('sms-only', 'verifyIdentity', { identityId: 'i-claim' })).toMatchObject({ outcome: 'rejected', error: 'unknown identity i-claim' })
    expect(await store.getIdentity('i-claim')).toMatchObject({ unverified: 'typed_in_chat' })
  })
})

describe('an agent recording consent', () => {
  it('changes the customer’s consent and records the agent, the note and the time in the history', async () => {
    await seed()
    const args = { customerId: 'dst', conversationId: 'v-dst', changes: { promotional: false, sms: false }, note: 'asked on a call' }
    expect((await run('sms-only', 'setConsent', args)).outcome).toBe('applied')
    const after = (await store.getCustomer('dst'))!
    expect(after.consent).toEqual({ promotional: false, sms: false })
    const events = (await store.timeline('dst', null, 10)).items.flatMap((i) => (i.kind === 'event' ? [i.item] : []))
    const history = consentHistory(events)
    expect(history.map((r) => [r.key, r.value, r.previous, r.source, r.note, r.actorName, r.applied])).toEqual(
      expect.arrayContaining([
        ['promotional', false, true, 'agent', 'asked on a call', 'sms-only', true],
        ['sms', false, null, 'agent', 'asked on a call', 'sms-only', true],
      ]),
    )
    expect(history).toHaveLength(2)
    expect(history[0]?.at).toBe(after.consentChangedAt?.promotional)
  })

  it('refuses a conversation of another customer, or one the agent cannot see, and changes nothing', async () => {
    await seed()
    const before = await store.lastSeq()
    expect(await run('sms-only', 'setConsent', { customerId: 'dst', conversationId: 'v-src', changes: { sms: false } })).toMatchObject({
      outcome: 'rejected',
      error: expect.stringMatching(/not one of this customer's that you can see/),
    })
    expect(await run('all', 'setConsent', { customerId: 'dst', conversationId: 'v-src', changes: { sms: false } })).toMatchObject({ outcome: 'rejected' })
    expect(await run('all', 'setConsent', { customerId: 'dst', conversationId: 'v-dst', changes: {} })).toMatchObject({
      outcome: 'rejected',
      error: expect.stringMatching(/name at least one consent key/),
    })
    expect(await store.lastSeq()).toBe(before)
  })
})
