import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ViewFilters } from '../../shared/domain'
import { executedBy, tableScans } from '../../../tests/support/query-plans'
import { tempDir } from '../testing/fixtures'
import { openCache } from './open'
import {
  getConversation,
  getCustomer,
  getSyncMeta,
  inboxCounts,
  listCustomerConversations,
  listIdentities,
  listOutboxForConversations,
  outboxStatesForItems,
  searchIndex,
} from './queries'
import { countMatching } from './view-queries'

/**
 * Plans of cache statements the inbox and timeline tests do not cover: opening a customer,
 * the outbox lookups every timeline page and every applied sync batch make, the sidebar
 * counts, a saved view's count, and a search. Each call runs on a real cache; every statement it executes is captured with its
 * parameters and EXPLAIN QUERY PLAN must show no table read end to end.
 */

let dir: ReturnType<typeof tempDir>
let db: Database
beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
})
afterEach(() => {
  db.close()
  dir.remove()
})

describe('hot cache queries read through indexes', () => {
  const cases: [string, (db: Database) => unknown][] = [
    ['opening a customer: profile, identities, conversations', (d) => {
      getCustomer(d, 'c1')
      listIdentities(d, 'c1')
      listCustomerConversations(d, 'c1')
    }],
    ['every timeline page: outbox state of the shown items', (d) => outboxStatesForItems(d, ['m1', 'm2', 'n1'])],
    ['every applied sync batch: queued actions on the touched conversations', (d) => {
      getSyncMeta(d)
      getConversation(d, 'v1')
      listOutboxForConversations(d, ['v1', 'v2'])
    }],
    ['a search, unfiltered and with every filter', (d) => {
      searchIndex(d, { query: '"parcel"*', limit: 50 })
      searchIndex(d, { query: '"parcel"*', limit: 50, kinds: ['message'], channel: 'email', status: 'open', assigneeId: 'u1', from: 0, to: 1 })
    }],
    ['sidebar counts, with and without a status filter', (d) => {
      inboxCounts(d, { userId: 'u1' })
      inboxCounts(d, { status: 'open', userId: 'u1' })
    }],
    ['saved views counted, by each field a view can filter on', (d) => {
      const ctx = { userId: 'u1', now: 1 }
      const fields: ViewFilters[] = [
        { status: ['open', 'pending'] },
        { assignee: 'me' },
        { assignee: 'unassigned' },
        { priorities: ['urgent'] },
        { channels: ['sms'] },
        { teams: ['Billing'] },
        { inboxes: ['Support email'] },
        { labels: ['refund', 'vip'] },
        { waitingMinutes: 30 },
        { status: ['open'], priorities: ['urgent', 'high'], waitingMinutes: 30 },
      ]
      for (const filters of fields) countMatching(d, filters, ctx)
    }],
  ]
  it('the sidebar\'s unread count and a view by team and priority read no conversation row of those they pass over', () => {
    const plans = (call: () => unknown) =>
      executedBy(call).flatMap(({ sql, params }) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as [])) as { detail: string }[]).map((r) => r.detail))
    expect(plans(() => inboxCounts(db, { userId: 'u1' }))).toContainEqual(expect.stringMatching(/^SEARCH c USING COVERING INDEX idx_conversations_assignee_unread /))
    // Conversations of high or urgent priority are few: the team is checked on their rows only.
    expect(plans(() => countMatching(db, { teams: ['Billing'], priorities: ['high', 'urgent'] }, { userId: 'u1', now: 1 }))).toContainEqual(
      expect.stringMatching(/^SEARCH c USING INDEX idx_conversations_status_priority_waiting \(status=\? AND priority=\?\)/),
    )
  })

  for (const [name, call] of cases) {
    it(name, () => {
      const executed = executedBy(() => call(db))
      expect(executed.length).toBeGreaterThan(0)
      // conversation_counts holds one row per status × channel × team × assignee: read whole by design.
      // h: the few rows (at most the limit) a search's FTS walk hands on, read once.
      // search_retag: the conversations still to re-tag, read whole by design (empty but for moments).
      expect(tableScans(db, executed, ['conversation_counts', 'h', 'search_retag'])).toEqual([])
    })
  }
})
