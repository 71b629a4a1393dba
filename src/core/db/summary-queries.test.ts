import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { executedBy, tableScans } from '../../../tests/support/query-plans'
import type { Call } from '../../shared/domain'
import { applyBatch } from '../sync/apply'
import { changes, conversation, message, note, tempDir } from '../testing/fixtures'
import { openCache } from './open'
import { cachedStoryContext, getRating, getStory, listSummaryItems, storyStaleness } from './summary-queries'

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

const v1 = conversation('v1', 'c1', { channel: 'sms', inbox: 'texts' })
function call(id: string, startedAt: number, over: Partial<Call> = {}): Call {
  return {
    id,
    conversationId: 'v1',
    customerId: 'c1',
    direction: 'inbound',
    status: 'completed',
    outcome: 'answered',
    durationSeconds: 60,
    recordingUrl: null,
    transcript: null,
    notes: null,
    agentId: 'u1',
    externalId: null,
    startedAt,
    updatedAt: startedAt,
    ...over,
  }
}

describe('summary queries', () => {
  it('reads the customer’s items as a summarizer does, oldest first, silent calls left out', () => {
    const items = [
      ['conversation', v1],
      ['message', message('m1', v1, 100)],
      ['message', message('m2', v1, 400, { direction: 'outbound', text: 'On it.' })],
      ['call', call('k1', 200, { transcript: 'Customer: my router blinks', notes: 'Sent a new one' })],
      ['call', call('k2', 300)],
      ['note', note('n1', v1, 500)],
    ] as Parameters<typeof changes>[1]
    applyBatch(db, { after: 0, cursor: items.length, changes: changes(1, items) })
    expect(listSummaryItems(db, { customerId: 'c1' })).toEqual([
      { kind: 'message', id: 'm1', conversationId: 'v1', channel: 'sms', author: 'customer', at: 100, text: 'message m1', inbox: 'texts' },
      { kind: 'call', id: 'k1', conversationId: 'v1', channel: 'voice', author: 'customer', at: 200, text: 'Customer: my router blinks\nAgent notes: Sent a new one', inbox: 'texts' },
      { kind: 'message', id: 'm2', conversationId: 'v1', channel: 'sms', author: 'agent', at: 400, text: 'On it.', inbox: 'texts' },
      { kind: 'note', id: 'n1', conversationId: 'v1', channel: 'sms', author: 'agent', at: 500, text: 'note n1', inbox: 'texts' },
    ])
    expect(listSummaryItems(db, { customerId: 'c1', after: 200 }).map((i) => i.id)).toEqual(['m2', 'n1'])
    // Notes do not make a story stale; the silent call neither.
    expect(storyStaleness(db, { customerId: 'c1', coversThrough: 150 })).toEqual({ newItems: 2, newestAt: 400 })
    expect(storyStaleness(db, { customerId: 'c1', coversThrough: 400 })).toEqual({ newItems: 0, newestAt: null })
    expect(cachedStoryContext(db, 'c1')).toEqual({ open: [{ id: 'v1', status: 'open', channel: 'sms', subject: null }], conversationCount: 1 })
  })

  it('reads a story, its staleness, a rating and the items through indexes', () => {
    const executed = executedBy(() => {
      getStory(db, 'c1')
      storyStaleness(db, { customerId: 'c1', coversThrough: 10 })
      getRating(db, { summaryId: 'story:c1', generatedAt: 10 })
      listSummaryItems(db, { customerId: 'c1', after: 10 })
      cachedStoryContext(db, 'c1')
    })
    expect(executed.length).toBeGreaterThanOrEqual(5)
    expect(tableScans(db, executed)).toEqual([])
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${executed[1]!.sql}`).all({ customerId: 'c1', after: 10 }) as { detail: string }[]).map((r) => r.detail)
    expect(plan).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/SEARCH messages USING COVERING INDEX idx_messages_timeline \(customer_id=\? AND at>\?\)/),
        expect.stringMatching(/SEARCH k USING INDEX idx_calls_timeline \(customer_id=\? AND at>\?\)/),
      ]),
    )
  })
})
