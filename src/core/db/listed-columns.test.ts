import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { drillOrder } from '../../shared/reporting/drill-pages'
import { newDictionaries, type EventDictionaries } from '../../shared/reporting/event-columns'
import { conversation, customer, tempDir } from '../testing/fixtures'
import { dropCustomer } from './erasure'
import { ListedColumns, type ListedField } from './listed-columns'
import { openCache } from './open'
import { upsertServerEntity } from './queries'

let dir: ReturnType<typeof tempDir>
let db: Database
let dictionaries: EventDictionaries

beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
  dictionaries = newDictionaries()
})

afterEach(() => {
  vi.useRealTimers()
  db.close()
  dir.remove()
})

const numbers = (...ids: string[]) => Int32Array.from(ids, (id) => dictionaries.conversations.of(id))

/** The conversations in the order of one field, as a drill-down sorted by it lists them; those without a value marked. */
function sortedBy(listed: ListedColumns, field: ListedField, ...ids: string[]): string[] {
  const ranks = listed.ranks(dictionaries, field, numbers(...ids))
  return [...drillOrder(ranks, false)].map((r) => (ranks[r]! < 0 ? `${ids[r]} (none)` : ids[r]!))
}

describe("drill-downs' lists in memory", () => {
  it('follow the cache: rows written since, a new status or subject, a rename, a move to another customer and an erasure', () => {
    const listed = new ListedColumns(db)
    upsertServerEntity(db, 'customer', customer('k1', { name: 'Ann' }))
    upsertServerEntity(db, 'conversation', conversation('v1', 'k1', { subject: 'Refund' }))
    // A conversation whose customer has not arrived yet has no name, until the customer comes.
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2'))
    expect(sortedBy(listed, 'customerName', 'v2', 'v1', 'unknown')).toEqual(['v1', 'v2 (none)', 'unknown (none)'])
    upsertServerEntity(db, 'customer', customer('k2', { name: 'bob' }))
    upsertServerEntity(db, 'conversation', conversation('v3', 'k2', { subject: 'Password' }))
    // Equal names keep the list's own order.
    expect(sortedBy(listed, 'customerName', 'v3', 'v2', 'v1')).toEqual(['v1', 'v3', 'v2'])
    expect(sortedBy(listed, 'subject', 'v1', 'v2', 'v3')).toEqual(['v3', 'v1', 'v2 (none)'])

    upsertServerEntity(db, 'conversation', conversation('v1', 'k1', { subject: 'apology', status: 'pending' }))
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2', { status: 'resolved' }))
    expect(sortedBy(listed, 'subject', 'v1', 'v2', 'v3')).toEqual(['v1', 'v3', 'v2 (none)'])
    expect(sortedBy(listed, 'status', 'unknown', 'v2', 'v1', 'v3')).toEqual(['v3', 'v1', 'v2', 'unknown (none)'])
    // Changed twice since the last read: read once, as it is now.
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2', { status: 'open' }))
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2', { status: 'snoozed' }))
    expect(sortedBy(listed, 'status', 'v2', 'v1', 'v3')).toEqual(['v3', 'v1', 'v2'])

    upsertServerEntity(db, 'customer', customer('k1', { name: 'Zoe' }))
    expect(sortedBy(listed, 'customerName', 'v1', 'v3')).toEqual(['v3', 'v1'])
    upsertServerEntity(db, 'conversation', conversation('v1', 'k2'))
    expect(sortedBy(listed, 'customerName', 'v1', 'v3')).toEqual(['v1', 'v3'])
    dropCustomer(db, 'k2')
    expect(sortedBy(listed, 'customerName', 'v1', 'v2', 'v3')).toEqual(['v1 (none)', 'v2 (none)', 'v3 (none)'])
  })

  it('are read in the background after warm(), a chunk at a time between other work', () => {
    vi.useFakeTimers()
    for (let i = 0; i < 50; i++) {
      upsertServerEntity(db, 'customer', customer(`k${i}`, { name: `Customer ${i}` }))
      upsertServerEntity(db, 'conversation', conversation(`v${i}`, `k${i}`))
    }
    const listed = new ListedColumns(db, 10)
    listed.warm(dictionaries)
    // 100 rows, 10 a step: the last step finds nothing left and schedules no other.
    let steps = 0
    while (vi.getTimerCount() > 0) {
      vi.advanceTimersToNextTimer()
      steps++
    }
    expect(steps).toBe(11)
    expect(dictionaries.conversations.values).toHaveLength(50)
    expect(sortedBy(listed, 'customerName', 'v49', 'v0')).toEqual(['v0', 'v49'])
  })

  it('are read again whole when another process opens the cache, which clears the changes named so far', () => {
    const listed = new ListedColumns(db)
    upsertServerEntity(db, 'customer', customer('k1', { name: 'Ann' }))
    upsertServerEntity(db, 'conversation', conversation('v1', 'k1'))
    upsertServerEntity(db, 'conversation', conversation('v2', 'k1', { status: 'pending' }))
    expect(sortedBy(listed, 'status', 'v2', 'v1')).toEqual(['v1', 'v2'])
    upsertServerEntity(db, 'conversation', conversation('v1', 'k1', { status: 'resolved' }))
    openCache(dir.path, 'http://127.0.0.1:4100').close()
    expect(db.prepare('SELECT count(*) FROM conversation_listing_changes').pluck().get()).toBe(0)
    expect(sortedBy(listed, 'status', 'v2', 'v1')).toEqual(['v2', 'v1'])
  })
})
