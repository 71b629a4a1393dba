import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { executedBy, tableScans } from '../../../../tests/support/query-plans'
import type { Message } from '../../../shared/domain'
import type { Store } from '../store'
import { openSqliteStore } from './sqlite-store'

/**
 * The plans of the statements the store really runs on the ingest path, the REST timeline and
 * token checks: each call below is made on a real store, every statement it executes is
 * captured with its parameters, and EXPLAIN QUERY PLAN must show no table read end to end.
 * (The pull, inbox list, dedupe and identity lookups are covered in sqlite-store.test.ts.)
 */

let dir: string
let dbPath: string
let store: Store
let db: Database.Database

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-plans-'))
  dbPath = path.join(dir, 'server.sqlite')
  store = openSqliteStore(dbPath)
  db = new Database(dbPath, { readonly: true })
})
afterEach(async () => {
  db.close()
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('hot server queries read through indexes', () => {
  const cases: [string, (s: Store) => Promise<unknown>][] = [
    ['customer timeline (REST), first page and next page', async (s) => {
      const page = await s.timeline('c1', null, 50)
      await s.timeline('c1', ['Support email'], 50, page.next ?? Buffer.from(JSON.stringify([1, 'x'])).toString('base64url'))
    }],
    ['threading: the customer’s latest unresolved conversation, and their latest on a channel', async (s) => {
      await s.latestUnresolvedConversation('c1')
      await s.latestConversationOnChannel('c1', 'sms', 'SMS')
      await s.latestConversationOnChannel('c1', 'chat', null)
      await s.conversationThreads('v1')
    }],
    ['threading: conversation by thread key', (s) => s.conversationByThreadKey('chat', 'k1')],
    ['threading: conversation by the external ids an email replies to', (s) => s.conversationByMessageExternalId('email', ['<a@x>', '<b@x>'])],
    ['voice: call by provider id', (s) => s.callByExternalId('CA123')],
    ['every REST request and socket handshake: token by hash, and the live connections’ tokens in one read', async (s) => {
      await s.apiTokenByHash('0'.repeat(64))
      await s.apiTokensByHash(['0'.repeat(64), '1'.repeat(64)])
    }],
    ['customer visibility: search, profile and each change fanned out to a scoped room', async (s) => {
      await s.customerVisible('c1', ['Support email'])
      await s.searchCustomers({ scope: ['Support email'], limit: 20, offset: 0 })
    }],
    ['customer profile: identities and conversations', async (s) => {
      await s.identitiesOf('c1')
      await s.listConversations({ customerId: 'c1', scope: null, limit: 500 })
    }],
    ['outbound: recipient of a reply', (s) => s.recipientFor({ customerId: 'c1', channel: 'sms' } as Message)],
    ['identity suggestions: same name at the same email domain', (s) => s.customersNamedWithEmailDomain('Ann Lee', 'example.com', 'c1', 5)],
    ['merge: a customer’s conversations and every item of one', async (s) => {
      await s.conversationsOf('c1')
      await s.conversationItems('v1')
    }],
    ['erasure: the records merged into a customer, their erasure and what it holds', async (s) => {
      await s.customersMergedInto('c1')
      await s.getErasure('c1')
      await s.heldEntities('c1')
    }],
    ['merge and dismiss: the merge record, the suggestion and its events', async (s) => {
      await s.getCustomerMerge('m1')
      await s.getCustomerSuggestion('s1')
      await s.suggestionEvents('s1')
    }],
  ]
  for (const [name, call] of cases) {
    it(name, async () => {
      const executed = await executedBy(() => call(store))
      expect(executed.length).toBeGreaterThan(0)
      expect(tableScans(db, executed)).toEqual([])
    })
  }
})

describe('customer search', () => {
  const plan = (executed: Awaited<ReturnType<typeof executedBy>>): string[] =>
    executed.flatMap(({ sql, params }) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as [])) as { detail: string }[]).map((r) => r.detail))

  it('looks a query of 3 characters or more up in the trigram index, and reads customers only by key', async () => {
    const executed = await executedBy(() => store.searchCustomers({ query: 'parcel', scope: ['Support email'], limit: 50, offset: 0 }))
    expect(executed.map((e) => e.sql).filter((sql) => sql.includes('customer_search MATCH')).length).toBe(2)
    expect(plan(executed).filter((d) => /^SCAN f VIRTUAL TABLE INDEX \d+:M/.test(d)).length).toBeGreaterThan(0)
    expect(plan(executed).some((d) => /^SCAN customers\b/.test(d))).toBe(false)
    // The merges are read whole, as before (few rows, for the names of customers merged away),
    // and so are the CTE of those found and the index's capped count of its matches.
    expect(tableScans(db, executed, ['m', 'survivor', 'hit'])).toEqual([])
  })

  it('walks the customers newest first by index for a query of 1 or 2 characters', async () => {
    const executed = await executedBy(() => store.searchCustomers({ query: 'ab', scope: null, limit: 50, offset: 0 }))
    expect(executed.some((e) => e.sql.includes('customer_search'))).toBe(false)
    expect(plan(executed)).toContain('SCAN customers USING INDEX customers_activity')
    expect(tableScans(db, executed, ['m', 'survivor'])).toEqual([])
  })
})

describe('queued outbound messages', () => {
  it('are read oldest first from their own index, without sorting the backlog', async () => {
    // At every start, however many wait: a sort would read them all to return the first 10,000.
    for (const read of [(s: Store) => s.queuedOutboundIds(10_000), (s: Store) => s.queuedOutbound(10_000)]) {
      const executed = await executedBy(() => read(store))
      const plan = executed.flatMap(({ sql, params }) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as [])) as { detail: string }[]).map((r) => r.detail))
      expect(plan.filter((d) => d.includes('FROM messages') || d.includes(' messages '))).toContain('SCAN messages USING INDEX messages_queued_outbound')
      expect(plan.filter((d) => d.includes('TEMP B-TREE'))).toEqual([])
    }
  })
})
