import type { Database } from 'better-sqlite3'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CHANNELS } from '../../shared/domain'
import { conversationRows, conversationRowsOverColumns } from '../../shared/reporting/csv'
import { eventBlock } from '../../shared/reporting/event-block'
import { REOPEN_HORIZON_MS, REPORTING_EVENT_KINDS, type ReportingEvent } from '../../shared/reporting/events'
import { computeReport, reportOverColumns } from '../../shared/reporting/metrics'
import { tempDir } from '../testing/fixtures'
import { dropCustomer } from './erasure'
import { keepEventBlock } from './event-blocks'
import { openCache } from './open'
import { deleteEntity, dumpEntities, upsertServerEntity } from './queries'
import { CachedEventColumns } from './reporting-columns'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const base = Date.UTC(2026, 2, 20)

let dir: ReturnType<typeof tempDir>
let db: Database

beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
  db.close()
  dir.remove()
})

const anEvent = fc
  .record({
    id: fc.integer({ min: 0, max: 400 }).map((n) => `e${String(n).padStart(3, '0')}`),
    kind: fc.constantFrom(...REPORTING_EVENT_KINDS),
    conversationId: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
    customerId: fc.constantFrom('k1', 'k2', 'k3', null),
    inbox: fc.constantFrom('support', 'sales'),
    channel: fc.constantFrom(...CHANNELS),
    team: fc.constantFrom('tier1', 'tier2', null),
    agentId: fc.constantFrom('u1', 'u2', null),
    // Few distinct times: events written in different batches often share one, and must still fall in order of id.
    at: fc.integer({ min: 0, max: 30 }).map((q) => base + q * 12 * HOUR),
    ms: fc.integer({ min: 0, max: 5 * DAY }),
    afterHours: fc.boolean(),
    rating: fc.integer({ min: 1, max: 5 }),
  })
  .map(({ ms, rating, ...e }): ReportingEvent => ({
    ...e,
    calendarMs: ['first_response', 'reply', 'resolved'].includes(e.kind) ? ms : null,
    businessMs: ['first_response', 'reply', 'resolved'].includes(e.kind) ? Math.floor(ms / 2) : null,
    fromChannel: e.kind === 'channel_switched' ? 'chat' : null,
    rating: e.kind === 'csat_answered' ? rating : null,
    slaTarget: e.kind === 'sla_breached' ? 'resolution' : null,
  }))

/**
 * What can happen to the cache's reporting events: a sync batch (new events, or ones sent again
 * changed), a first sync's block of new events, an event deleted, a customer erased.
 */
const aStep = fc.oneof(
  { weight: 6, arbitrary: fc.record({ write: fc.array(anEvent, { minLength: 1, maxLength: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ block: fc.array(anEvent, { minLength: 1, maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ remove: fc.integer({ min: 0, max: 400 }).map((n) => `e${String(n).padStart(3, '0')}`) }) },
  { weight: 1, arbitrary: fc.record({ erase: fc.constantFrom('k1', 'k2', 'k3') }) },
)

const queries = fc.record({
  fromHours: fc.integer({ min: 0, max: 15 * 24 }),
  hours: fc.integer({ min: 1, max: 10 * 24 }),
  timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata'),
  inboxes: fc.option(fc.constant<string[]>(['sales']), { nil: undefined }),
})

describe('the dashboards’ columns of the cache’s reporting events', () => {
  it('give the same report and drill-down rows as a full recomputation, after any sequence of syncs, deletions and erasures', () => {
    fc.assert(
      fc.property(fc.array(aStep, { minLength: 1, maxLength: 8 }), fc.array(queries, { minLength: 1, maxLength: 3 }), fc.boolean(), (steps, qs, chunked) => {
        db.exec('DELETE FROM reporting_events; DELETE FROM reporting_event_blocks; DELETE FROM reporting_event_block_customers')
        // Chunks of three, filled in the background at times: the fill must meet the writes between its chunks.
        const columns = new CachedEventColumns(db, 0, chunked ? 3 : undefined)
        const held = new Map<string, ReportingEvent>()
        for (const step of steps) {
          if ('write' in step) {
            db.transaction(() => {
              for (const e of step.write) upsertServerEntity(db, 'reportingEvent', e)
            })()
            for (const e of step.write) held.set(e.id, e)
          } else if ('block' in step) {
            // A block holds events the cache has not seen, each once (shared/sync.ts).
            const fresh = [...new Map(step.block.filter((e) => !held.has(e.id)).map((e) => [e.id, e])).values()]
            db.transaction(() => keepEventBlock(db, eventBlock(fresh)))()
            for (const e of fresh) held.set(e.id, e)
          } else if ('remove' in step) {
            deleteEntity(db, 'reportingEvent', step.remove)
            held.delete(step.remove)
          } else {
            dropCustomer(db, step.erase)
            for (const [id, e] of held) if (e.customerId === step.erase) held.set(id, { ...e, customerId: null })
          }
          // One step of the background work: a chunk of a fill, or a catch-up.
          if (chunked) {
            columns.poke()
            vi.runOnlyPendingTimers()
          }
          const all = [...held.values()]
          for (const { fromHours, hours, timeZone, inboxes } of qs) {
            const query = { from: base + fromHours * HOUR, to: base + (fromHours + hours) * HOUR, timeZone, ...(inboxes ? { filters: { inboxes } } : {}) }
            const within = all.filter((e) => e.at >= query.from - REOPEN_HORIZON_MS && e.at < query.to + REOPEN_HORIZON_MS)
            const cols = columns.current()
            const lo = cols.lowerBound(query.from - REOPEN_HORIZON_MS)
            const hi = cols.lowerBound(query.to + REOPEN_HORIZON_MS)
            const expected = computeReport(within, new Map(), query)
            expect(reportOverColumns(cols, lo, hi, new Map(), query)).toEqual(expected)
            const ids = ['a', 'b', 'c', 'd', 'e', 'missing']
            expect(conversationRowsOverColumns(cols, lo, hi, ids, timeZone)).toEqual(conversationRows(within, ids, timeZone))
          }
          const cols = columns.current()
          expect(cols.length).toBe(held.size)
        }
      }),
      { numRuns: 300 },
    )
  }, 30_000)

  it('hold every event in order of time, then id, as the cache has them', () => {
    const events = fc.sample(anEvent, { numRuns: 200, seed: 7 })
    const columns = new CachedEventColumns(db)
    for (let i = 0; i < events.length; i += 25) {
      db.transaction(() => {
        for (const e of events.slice(i, i + 25)) upsertServerEntity(db, 'reportingEvent', e)
      })()
      columns.current()
    }
    const cols = columns.current()
    const written = [...new Map(events.map((e) => [e.id, e])).values()].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
    expect(written.map((e, i) => cols.event(i, e.id))).toEqual(written)
    expect(cols.length).toBe(written.length)
    expect([...dumpEntities(db, 'reportingEvent').values()].map((e) => e.current).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))).toEqual(written)
  })
})
