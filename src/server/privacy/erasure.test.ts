import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storeEngines } from '../../../tests/support/store-engines'
import { systemActor } from '../../shared/actors'
import { CLI_ORIGIN } from '../audit/origin'
import type { Customer, EntityName, EntityTypes, Identity, TimelineEvent, User } from '../../shared/domain'
import { conversation, customer, message, note, user } from '../../core/testing/fixtures'
import type { Store } from '../store/store'
import { eraseCustomer, restoreCustomer } from './erasure'
import { PurgeService } from './purge'

/** Erasure, restore and purge at the store's level, on every engine (SQLite the reference). */

const ACTOR = systemActor('test')
const BY = { actor: ACTOR, origin: CLI_ORIGIN }
const DAY = 86_400_000
const T = 1_767_000_000_000
const SENTENCE = 'my locker code is violet-harbour-4417'

const identity = (id: string, customerId: string, kind: Identity['kind'], address: string): Identity => ({
  id,
  customerId,
  kind,
  address,
  displayName: null,
  createdAt: 1,
})

type Entity = { [E in EntityName]: [E, EntityTypes[E]] }[EntityName]

async function seed(store: Store, ...entities: Entity[]): Promise<void> {
  await store.write(async (w) => {
    for (const [entity, data] of entities) await w.put(entity as 'customer', data as Customer)
  }, ACTOR)
}

const ana = customer('ana', { name: 'Ana Erasable' })
const anaMail = identity('ana-mail', 'ana', 'email', 'ana@erase.test')
const anaPhone = identity('ana-phone', 'ana', 'phone', '+15550104417')
const support = conversation('c-support', 'ana', { inbox: 'support' })
const sales = conversation('c-sales', 'ana', { inbox: 'sales' })
const bob = customer('bob', { name: 'Bob Stays' })
const bobConversation = conversation('c-bob', 'bob', { inbox: 'support' })
/** Merged into Ana: their conversation moved to her. */
const ann = customer('ann', { name: 'Ann Merged', mergedInto: 'ana' })
const annOld = conversation('c-ann', 'ana', { inbox: 'support' })

const admin = user('admin', { role: 'admin' })
const supervisor = (inboxes: string[] | null): User => user('sup', { role: 'supervisor', inboxes })

describe.each(storeEngines().map((engine) => [engine.name, engine] as const))('%s store: erasing a customer', (_name, engine) => {
  let store: Store
  let dir: string

  beforeAll(() => engine.setup(), 60_000)
  afterAll(() => engine.teardown(), 60_000)
  beforeEach(async () => {
    await engine.fresh()
    store = await engine.open()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-attachments-'))
    await seed(
      store,
      ['customer', ana],
      ['customer', ann],
      ['identity', anaMail],
      ['identity', anaPhone],
      ['conversation', support],
      ['conversation', sales],
      ['conversation', annOld],
      ['message', message('m1', support, T, { text: SENTENCE })],
      ['message', message('m2', sales, T + 1)],
      ['message', message('m3', annOld, T + 2, { text: 'from before the merge' })],
      ['note', note('n1', support, T + 3)],
      ['customer', bob],
      ['conversation', bobConversation],
      ['message', message('b1', bobConversation, T + 4)],
    )
    await store.write(async (w) => {
      await w.addCustomerMerge({
        id: 'merge-1',
        sourceId: 'ann',
        targetId: 'ana',
        moved: { identityIds: [], conversationIds: ['c-ann'], labels: [], attributeKeys: [], consent: {} },
        mergedBy: 'admin',
        mergedAt: T,
        undoneAt: null,
      })
      await w.putThread({ channel: 'email', threadKey: 'thread-c-support', conversationId: 'c-support', inbox: 'support', lastAt: T })
      await w.addDeadLetter('inbound', 'support', { from: 'ana@erase.test', text: SENTENCE }, 'failed', T)
      await w.addDeadLetter('inbound', 'support', { from: 'someone@else.test' }, 'failed', T)
    })
  })
  afterEach(async () => {
    await engine.cleanUp()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  const erase = (user: User | null = admin, immediate = false) =>
    store.write((w) => eraseCustomer(w, { customerId: 'ana', user, by: BY, immediate, graceDays: 30, now: T }), ACTOR)

  it('takes the customer, the records merged into them and all of theirs out of every read at once', async () => {
    const { result: erasure, changes } = await erase()
    expect(erasure).toMatchObject({ customerId: 'ana', customerIds: ['ana', 'ann'], purgeAt: T + 30 * DAY, immediate: false })
    expect(await store.getCustomer('ana')).toBeNull()
    expect(await store.getCustomer('ann')).toBeNull()
    expect(await store.findIdentity('email', 'ana@erase.test')).toBeNull()
    expect(await store.getMessage('m1')).toBeNull()
    expect(await store.getConversation('c-ann')).toBeNull()
    expect(await store.conversationByThreadKey('email', 'thread-c-support')).toBeNull()
    expect((await store.searchCustomers({ query: 'Erasable', scope: null, limit: 10, offset: 0 })).map((c) => c.id)).toEqual([])
    expect((await store.listConversations({ scope: null, limit: 10 })).items.map((c) => c.id)).toEqual(['c-bob'])
    expect(await store.getMessage('b1')).not.toBeNull()
    // One delete per customer record, reaching every reader.
    expect(changes.map((c) => [c.entity, c.id, c.op, c.inbox, c.customerId])).toEqual([
      ['customer', 'ana', 'delete', null, null],
      ['customer', 'ann', 'delete', null, null],
    ])
    expect(await store.listErasures()).toEqual([erasure])
  })

  it('rewrites every earlier change of their rows to a tombstone, keeping its seq', async () => {
    const before = await store.changesAfter(0, 1000, null)
    await erase()
    const after = await store.changesAfter(0, 1000, null)
    expect(after.changes.slice(0, before.changes.length).map((c) => c.seq)).toEqual(before.changes.map((c) => c.seq))
    const theirs = after.changes.filter((c) => !['bob', 'c-bob', 'b1'].includes(c.id))
    expect(theirs.every((c) => c.op === 'delete' && c.data === null)).toBe(true)
    expect(JSON.stringify(after.changes)).not.toContain(SENTENCE)
    expect(JSON.stringify(after.changes)).not.toContain('ana@erase.test')
    // A reader of another inbox receives the erasure too: it cannot know it never held them.
    const scoped = await store.changesAfter(before.cursor, 100, ['elsewhere'])
    expect(scoped.changes.map((c) => [c.entity, c.id, c.op])).toEqual([
      ['customer', 'ana', 'delete'],
      ['customer', 'ann', 'delete'],
    ])
  })

  it('lets admins and supervisors who see all their inboxes erase, and no one else', async () => {
    await expect(erase(user('agent'))).rejects.toThrow(/only supervisors and admins/)
    await expect(erase(supervisor(['support']))).rejects.toThrow(/inboxes you may not see \(sales\)/)
    await expect(erase(supervisor(['elsewhere']))).rejects.toThrow(/unknown customer/)
    expect(await store.getCustomer('ana')).not.toBeNull()
    await erase(supervisor(['support', 'sales']))
    await expect(erase()).rejects.toThrow(/already erased/)
  })

  it('restores everything within the grace period as new changes, merged conversations and the merge included', async () => {
    const cursor = (await store.changesAfter(0, 1000, null)).cursor
    await erase()
    const { result } = await store.write((w) => restoreCustomer(w, { customerId: 'ana', user: admin, by: BY }), ACTOR)
    expect(result).toMatchObject({ restored: 11, identitiesSkipped: [], itemsSkipped: [] })
    expect(await store.getCustomer('ann')).toMatchObject({ mergedInto: 'ana' })
    expect((await store.conversationsOf('ana')).map((c) => c.id).sort()).toEqual(['c-ann', 'c-sales', 'c-support'])
    expect(await store.getMessage('m1')).toMatchObject({ text: SENTENCE })
    expect(await store.getCustomerMerge('merge-1')).toMatchObject({ sourceId: 'ann', targetId: 'ana' })
    expect((await store.conversationByThreadKey('email', 'thread-c-support'))?.id).toBe('c-support')
    expect(await store.listErasures()).toEqual([])
    expect((await store.auditEntries({ targetId: 'ana', limit: 10 })).items.map((e) => e.action)).toEqual(['customer.restored', 'customer.erased'])
    const resent = (await store.changesAfter(cursor, 1000, null)).changes.filter((c) => c.op === 'upsert')
    expect(new Set(resent.map((c) => c.id))).toEqual(new Set(['ana', 'ann', 'ana-mail', 'ana-phone', 'c-support', 'c-sales', 'c-ann', 'm1', 'm2', 'm3', 'n1']))
  })

  it('leaves an address a new customer took during the grace period with them', async () => {
    await erase()
    await seed(store, ['customer', customer('newcomer')], ['identity', identity('new-mail', 'newcomer', 'email', 'ana@erase.test')])
    const { result } = await store.write((w) => restoreCustomer(w, { customerId: 'ana', user: admin, by: BY }), ACTOR)
    expect(result.identitiesSkipped).toEqual(['ana-mail'])
    expect((await store.findIdentity('email', 'ana@erase.test'))?.customerId).toBe('newcomer')
    expect((await store.identitiesOf('ana')).map((i) => i.id)).toEqual(['ana-phone'])
  })

  it('drops a suggestion event in another customer’s timeline that names them, with a delete its readers receive', async () => {
    const suggestion: TimelineEvent = {
      id: 'e-suggest',
      conversationId: 'c-bob',
      customerId: 'bob',
      type: 'identity_suggested',
      actorId: null,
      data: { suggestionId: 's1', suggestedCustomerId: 'ana', reason: 'same_name_and_email_domain', detail: 'Ana at erase.test' },
      createdAt: T,
    }
    await seed(store, ['event', suggestion])
    await store.write(async (w) => {
      await w.addCustomerSuggestion({
        id: 's1',
        customerId: 'bob',
        candidateId: 'ana',
        reason: 'same_name_and_email_domain',
        detail: 'Ana at erase.test',
        conversationId: 'c-bob',
        status: 'open',
        createdAt: T,
      })
    })
    const { changes } = await erase()
    expect(changes.map((c) => [c.entity, c.id, c.inbox])).toContainEqual(['event', 'e-suggest', 'support'])
    expect(await store.getEvent('e-suggest')).toBeNull()
    expect(await store.customerSuggestions('bob')).toEqual([])
  })

  it('refuses to restore an erasure made at once on a legal request', async () => {
    await erase(admin, true)
    await expect(store.write((w) => restoreCustomer(w, { customerId: 'ana', user: admin, by: BY }), ACTOR)).rejects.toThrow(/cannot be restored/)
  })

  it('purges once the grace period is over, with dead letters naming them and their attachment files', async () => {
    const sha = 'a'.repeat(64)
    fs.writeFileSync(path.join(dir, sha), SENTENCE)
    fs.writeFileSync(path.join(dir, `${sha}.json`), '{}')
    await seed(store, [
      'message',
      message('m4', support, T + 5, { attachments: [{ name: 'a.txt', contentType: 'text/plain', size: 10, url: `/api/v1/attachments/${sha}` }] }),
    ])
    await erase()
    let now = T + 29 * DAY
    const purger = new PurgeService(store, { attachmentsDir: dir, intervalMs: 60_000, log: { info: () => {}, error: () => {} }, now: () => now })
    expect(await purger.purgeDue()).toBe(0)
    expect(fs.existsSync(path.join(dir, sha))).toBe(true)
    now = T + 30 * DAY
    expect(await purger.purgeDue()).toBe(1)
    expect(await store.listErasures()).toEqual([])
    expect(await store.heldEntities('ana')).toEqual([])
    expect(fs.readdirSync(dir)).toEqual([])
    expect((await store.dueDeadLetters(T + 1, 10)).map((d) => d.payload)).toEqual([{ from: 'someone@else.test' }])
    await expect(store.write((w) => restoreCustomer(w, { customerId: 'ana', user: admin, by: BY }), ACTOR)).rejects.toThrow(/no erasure/)
    for (const table of ['changes', 'erased_rows', 'messages', 'dead_letters', 'identities', 'customers']) {
      const rows = await engine.query(`SELECT * FROM ${table}`)
      expect(JSON.stringify(rows), table).not.toContain(SENTENCE)
      expect(JSON.stringify(rows), table).not.toContain('ana@erase.test')
    }
    expect((await store.getCustomer('bob'))?.name).toBe('Bob Stays')
    const audit = (await store.auditEntries({ targetType: 'customer', targetId: 'ana', limit: 10 })).items
    expect(audit.map((e) => [e.action, e.actor, e.origin.via])).toEqual([
      ['customer.purged', 'system:privacy-purge', 'server'],
      ['customer.erased', ACTOR, 'cli'],
    ])
    expect(audit[1]?.details).toEqual({ purgeAt: T + 30 * DAY, immediate: false })
  })

  it('keeps an attachment file another message still carries', async () => {
    const sha = 'b'.repeat(64)
    fs.writeFileSync(path.join(dir, sha), 'shared')
    const url = `/api/v1/attachments/${sha}`
    const file = { name: 'logo.png', contentType: 'image/png', size: 6, url }
    await seed(store, ['message', message('m4', support, T + 5, { attachments: [file] })], [
      'message',
      message('b2', bobConversation, T + 5, { attachments: [file] }),
    ])
    await erase(admin, true)
    const purger = new PurgeService(store, { attachmentsDir: dir, intervalMs: 60_000, log: { info: () => {}, error: () => {} }, now: () => T })
    expect(await purger.purgeDue()).toBe(1)
    expect(fs.existsSync(path.join(dir, sha))).toBe(true)
  })
})
