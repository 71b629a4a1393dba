import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Customer, User } from '../../shared/domain'
import type { Store } from '../store/store'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import { applyMutation } from './mutations'
import { ChangeFeed } from './commit'

/** Merge, undo, labels and dismissals against a real SQLite store. */

let dir: string
let store: Store
let feed: ChangeFeed
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-merge-unit-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
  feed = new ChangeFeed(store)
})
afterEach(() => {
  store.close()
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

function seed(): void {
  feed.commit((w) => {
    w.put('user', user('all', null))
    w.put('user', user('sms-only', ['SMS']))
    w.put('customer', customer('src', { labels: ['vip'], attributes: { plan: 'pro', city: 'Oslo' }, consent: { promotional: false, sms: true } }))
    w.put('customer', customer('dst', { labels: ['b2b'], attributes: { plan: 'basic' }, consent: { promotional: true } }))
    w.put('identity', { id: 'i-src', customerId: 'src', kind: 'email', address: 'a@x.test', displayName: null, createdAt: 1 })
    for (const [id, customerId, inbox] of [['v-src', 'src', 'Support'], ['v-dst', 'dst', 'SMS']] as const) {
      w.put('conversation', {
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
        lastMessageAt: 1,
        waitingSince: null,
        createdAt: 1,
        updatedAt: 1,
      })
    }
    w.put('note', { id: 'n1', conversationId: 'v-src', customerId: 'src', authorId: 'all', authorName: 'all', text: 'hi', createdAt: 2 })
  })
}

const run = (who: string, name: 'mergeCustomers' | 'unmergeCustomers' | 'customerLabel', args: unknown) =>
  applyMutation(feed.commit, store.getUser(who)!, { name, args })

describe('merge on the server', () => {
  it('refuses an agent who cannot see all of the source’s conversations, and changes nothing', () => {
    seed()
    const before = store.lastSeq()
    const result = run('sms-only', 'mergeCustomers', { mergeId: 'm1', sourceId: 'src', targetId: 'dst' })
    expect(result).toMatchObject({ outcome: 'rejected', error: expect.stringMatching(/inboxes you cannot access/) })
    expect(store.lastSeq()).toBe(before)
    expect(store.getCustomer('src')?.mergedInto ?? null).toBeNull()
  })

  it('combines the profiles (withdrawn consent wins) and the undo restores both', () => {
    seed()
    expect(run('all', 'mergeCustomers', { mergeId: 'm1', sourceId: 'src', targetId: 'dst' }).outcome).toBe('applied')
    const merged = store.getCustomer('dst')!
    expect(merged.labels).toEqual(['b2b', 'vip'])
    expect(merged.attributes).toEqual({ plan: 'basic', city: 'Oslo' })
    expect(merged.consent).toEqual({ promotional: false, sms: true })
    expect(store.getNote('n1')?.customerId).toBe('dst')
    expect(store.timeline('dst', null, 10).items.map((i) => i.kind).sort()).toEqual(['event', 'note'])

    // An agent adds a label after the merge: the undo keeps it.
    expect(run('all', 'customerLabel', { customerId: 'dst', add: ['followup'] }).outcome).toBe('applied')
    expect(run('all', 'unmergeCustomers', { mergeId: 'm1' }).outcome).toBe('applied')
    const restored = store.getCustomer('dst')!
    expect(restored.labels).toEqual(['b2b', 'followup'])
    expect(restored.attributes).toEqual({ plan: 'basic' })
    expect(restored.consent).toEqual({ promotional: true })
    expect(store.getCustomer('src')?.mergedInto).toBeNull()
    expect(store.identitiesOf('src').map((i) => i.id)).toEqual(['i-src'])
    expect(store.getNote('n1')?.customerId).toBe('src')
    const mergeEvent = store.timeline('src', null, 10).items.find((i) => i.kind === 'event')
    expect(mergeEvent?.item).toMatchObject({ type: 'customer_merged', data: { mergeId: 'm1', undoneBy: 'all' } })
  })
})
