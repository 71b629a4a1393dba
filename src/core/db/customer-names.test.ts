import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { newDictionaries, type EventDictionaries } from '../../shared/reporting/event-columns'
import { conversation, customer, tempDir } from '../testing/fixtures'
import { CustomerNames } from './customer-names'
import { dropCustomer } from './erasure'
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

describe('customer names in memory', () => {
  it('follow the cache: customers and conversations written since, a rename, a move to another customer and an erasure', () => {
    const names = new CustomerNames(db)
    upsertServerEntity(db, 'customer', customer('k1', { name: 'Ann' }))
    upsertServerEntity(db, 'conversation', conversation('v1', 'k1'))
    // A conversation whose customer has not arrived yet has no name, until the customer comes.
    upsertServerEntity(db, 'conversation', conversation('v2', 'k2'))
    expect(names.of(dictionaries, numbers('v1', 'v2', 'unknown'))).toEqual(['Ann', null, null])
    upsertServerEntity(db, 'customer', customer('k2', { name: 'Bob' }))
    upsertServerEntity(db, 'conversation', conversation('v3', 'k2', { subject: 'updated, same customer' }))
    expect(names.of(dictionaries, numbers('v1', 'v2', 'v3'))).toEqual(['Ann', 'Bob', 'Bob'])

    upsertServerEntity(db, 'customer', customer('k1', { name: 'Anne' }))
    expect(names.of(dictionaries, numbers('v1'))).toEqual(['Anne'])
    upsertServerEntity(db, 'conversation', conversation('v1', 'k2'))
    expect(names.of(dictionaries, numbers('v1', 'v2'))).toEqual(['Bob', 'Bob'])
    dropCustomer(db, 'k2')
    expect(names.of(dictionaries, numbers('v1', 'v2', 'v3'))).toEqual([null, null, null])
  })

  it('are read in the background after warm(), a chunk at a time between other work', () => {
    vi.useFakeTimers()
    for (let i = 0; i < 50; i++) {
      upsertServerEntity(db, 'customer', customer(`k${i}`, { name: `Customer ${i}` }))
      upsertServerEntity(db, 'conversation', conversation(`v${i}`, `k${i}`))
    }
    const names = new CustomerNames(db, 10)
    names.warm(dictionaries)
    // 100 rows, 10 a step: the last step finds nothing left and schedules no other.
    let steps = 0
    while (vi.getTimerCount() > 0) {
      vi.advanceTimersToNextTimer()
      steps++
    }
    expect(steps).toBe(11)
    expect(dictionaries.conversations.values).toHaveLength(50)
    expect(names.of(dictionaries, numbers('v0', 'v49'))).toEqual(['Customer 0', 'Customer 49'])
  })
})
