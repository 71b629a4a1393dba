import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { newDictionaries, type EventDictionaries } from '../../shared/reporting/event-columns'
import { conversation, customer, tempDir } from '../testing/fixtures'
import { dropCustomer } from './erasure'
import { ListedColumns } from './listed-columns'
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

describe("drill-downs' lists in memory", () => {
  it('follow the cache: rows written since, a new status or subject, a rename, a move to another customer and an erasure', () => {
    const listed = new ListedColumns(db)
    const names = (...ids: string[]) => listed.of(dictionaries, 'customerName', numbers(...ids))
    upsertServerEntity(db, 'customer', customer('k1', { name: 'Ann' }))
    upsertServerEntity(db, 'conversation', conversation('v1', 'k1', { subject: 'Refund' }))
    // A conversation whose customer has not arrived yet has no name, until the customer comes.
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2'))
    expect(names('v1', 'v2', 'unknown')).toEqual(['Ann', null, null])
    upsertServerEntity(db, 'customer', customer('k2', { name: 'Bob' }))
    upsertServerEntity(db, 'conversation', conversation('v3', 'k2'))
    expect(names('v1', 'v2', 'v3')).toEqual(['Ann', 'Bob', 'Bob'])
    expect(listed.of(dictionaries, 'subject', numbers('v1', 'v2'))).toEqual(['Refund', null])

    upsertServerEntity(db, 'conversation', conversation('v1', 'k1', { subject: 'Refund, again', status: 'pending' }))
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2', { status: 'resolved' }))
    expect(listed.of(dictionaries, 'subject', numbers('v1'))).toEqual(['Refund, again'])
    expect(listed.of(dictionaries, 'status', numbers('v1', 'v2', 'v3', 'unknown'))).toEqual(['pending', 'resolved', 'open', null])
    // Changed twice since the last read: read once, as it is now.
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2', { status: 'open' }))
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2', { status: 'snoozed' }))
    expect(listed.of(dictionaries, 'status', numbers('v2'))).toEqual(['snoozed'])

    upsertServerEntity(db, 'customer', customer('k1', { name: 'Anne' }))
    expect(names('v1')).toEqual(['Anne'])
    upsertServerEntity(db, 'conversation', conversation('v1', 'k2'))
    expect(names('v1', 'v2')).toEqual(['Bob', 'Bob'])
    dropCustomer(db, 'k2')
    expect(names('v1', 'v2', 'v3')).toEqual([null, null, null])
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
    expect(listed.of(dictionaries, 'customerName', numbers('v0', 'v49'))).toEqual(['Customer 0', 'Customer 49'])
  })

  it('are read again whole when another process opens the cache, which clears the changes named so far', () => {
    const listed = new ListedColumns(db)
    upsertServerEntity(db, 'customer', customer('k1', { name: 'Ann' }))
    upsertServerEntity(db, 'conversation', conversation('v1', 'k1'))
    expect(listed.of(dictionaries, 'status', numbers('v1'))).toEqual(['open'])
    upsertServerEntity(db, 'conversation', conversation('v1', 'k1', { status: 'resolved' }))
    openCache(dir.path, 'http://127.0.0.1:4100').close()
    expect(db.prepare('SELECT count(*) FROM conversation_listing_changes').pluck().get()).toBe(0)
    expect(listed.of(dictionaries, 'status', numbers('v1'))).toEqual(['resolved'])
  })
})
