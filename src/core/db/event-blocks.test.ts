import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { eventBlock } from '../../shared/reporting/event-block'
import type { ReportingEvent } from '../../shared/reporting/events'
import { reportingEvent, tempDir } from '../testing/fixtures'
import { beginBulkLoad, finishBulkLoad } from './bulk-load'
import { dropCustomer } from './erasure'
import { keepEventBlock } from './event-blocks'
import { openCache } from './open'
import { deleteEntity, dumpEntities, forgetSyncedRows, getEntity, resetCache, upsertServerEntity } from './queries'

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

const reply = (id: string, customerId: string | null): ReportingEvent => reportingEvent(id, { conversationId: `v-${customerId ?? 'none'}`, customerId })

const events = (): ReportingEvent[] => [...dumpEntities(db, 'reportingEvent').values()].map((e) => e.current).sort((a, b) => (a.id < b.id ? -1 : 1))
const blocks = (): number => db.prepare('SELECT count(*) FROM reporting_event_blocks').pluck().get() as number

describe("a first sync's reporting events kept as blocks", () => {
  // Two blocks whose ranges of ids overlap, as pages of events written out of order of id do.
  const first = [reply('e1', 'k1'), reply('e5', 'k2'), reply('e3', 'k1')]
  const second = [reply('e2', 'k3'), reply('e6', 'k1'), reply('e4', null)]
  beforeEach(() => {
    keepEventBlock(db, eventBlock(first))
    keepEventBlock(db, eventBlock(second))
  })

  it('finds each event by id in whichever block holds it, and none that no block holds', () => {
    for (const e of [...first, ...second]) expect(getEntity(db, 'reportingEvent', e.id)?.current).toEqual(e)
    expect(getEntity(db, 'reportingEvent', 'e0')).toBeNull()
    expect(getEntity(db, 'reportingEvent', 'e35')).toBeNull()
    expect(events()).toEqual([...first, ...second].sort((a, b) => (a.id < b.id ? -1 : 1)))
  })

  it('holds an event once: written again as a row, it leaves its block; deleted, it leaves the cache, and an emptied block goes', () => {
    const changed = { ...reply('e5', 'k2'), rating: 4 }
    upsertServerEntity(db, 'reportingEvent', changed)
    expect(getEntity(db, 'reportingEvent', 'e5')?.current).toEqual(changed)
    expect(events().filter((e) => e.id === 'e5')).toEqual([changed])
    expect(db.prepare('SELECT count FROM reporting_event_blocks ORDER BY id').pluck().all()).toEqual([2, 3])

    expect(deleteEntity(db, 'reportingEvent', 'e5')).toBe(true)
    expect(deleteEntity(db, 'reportingEvent', 'e1')).toBe(true)
    expect(deleteEntity(db, 'reportingEvent', 'e3')).toBe(true)
    expect(deleteEntity(db, 'reportingEvent', 'e3')).toBe(false)
    expect(blocks()).toBe(1)
    expect(events().map((e) => e.id)).toEqual(['e2', 'e4', 'e6'])
  })

  it('keeps the later copy of an event a later block brings again, whether the earlier one is in a block or a row', () => {
    upsertServerEntity(db, 'reportingEvent', reply('e7', 'k2'))
    const again = [{ ...reply('e3', 'k1'), rating: 5 }, { ...reply('e7', 'k2'), rating: 2 }, reply('e8', 'k3')]
    keepEventBlock(db, eventBlock(again))
    expect(events()).toEqual([first[0], second[0], again[0], second[2], first[1], second[1], again[1], again[2]])
    expect(db.prepare('SELECT count FROM reporting_event_blocks ORDER BY id').pluck().all()).toEqual([2, 3, 3])
    expect(db.prepare('SELECT count(*) FROM reporting_events').pluck().get()).toBe(0)
  })

  it("an erased customer's events stay, without their customer, and nobody else's change", () => {
    const before = events()
    expect(dropCustomer(db, 'k1')).toBe(true)
    expect(events()).toEqual(before.map((e) => (e.customerId === 'k1' ? { ...e, customerId: null } : e)))
    expect(db.prepare("SELECT count(*) FROM reporting_event_block_customers WHERE customer_id = 'k1'").pluck().get()).toBe(0)
    expect(db.prepare('SELECT count(*) FROM reporting_event_blocks WHERE instr(bytes, ?) > 0').pluck().get(Buffer.from('"k1"'))).toBe(0)
    // Nothing of theirs left to anonymize: the cache held nothing of this customer.
    expect(dropCustomer(db, 'k9')).toBe(false)
  })

  it('finds the blocks naming a customer through an index built at the end of a fill, and names them again after it', () => {
    forgetSyncedRows(db)
    beginBulkLoad(db)
    keepEventBlock(db, eventBlock(first))
    finishBulkLoad(db)
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT block_id FROM reporting_event_block_customers WHERE customer_id = 'k1'").all() as { detail: string }[]
    expect(plan.map((p) => p.detail).join()).toMatch(/USING COVERING INDEX idx_reporting_event_block_customers/)
    expect(dropCustomer(db, 'k2')).toBe(true)
    expect(getEntity(db, 'reportingEvent', 'e5')?.current.customerId).toBeNull()
  })

  it('leaves with the rest of what was synced when the cache is forgotten or wiped', () => {
    forgetSyncedRows(db)
    expect(blocks()).toBe(0)
    expect(events()).toEqual([])
    keepEventBlock(db, eventBlock(first))
    resetCache(db, { clientId: 'c2', serverUrl: 'http://127.0.0.1:4100' })
    expect(blocks()).toBe(0)
    expect(db.prepare('SELECT count(*) FROM reporting_event_block_customers').pluck().get()).toBe(0)
  })
})
