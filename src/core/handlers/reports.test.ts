import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { columnsOf } from '../../shared/reporting/event-columns'
import type { ReportingEvent } from '../../shared/reporting/events'
import { drillKey, ReportMemory } from '../../shared/reporting/metrics'
import { reportingEvent } from '../testing/fixtures'
import { reportFromCache } from './reports'

const DAY = 86_400_000
const MIN = 60_000
const END = Date.UTC(2026, 0, 1)

/** Six weeks of a team's conversations, every one created, assigned, answered and resolved. */
function monthOfEvents(conversations: number): ReportingEvent[] {
  const events: ReportingEvent[] = []
  const event = (c: number, kind: ReportingEvent['kind'], at: number, more: Partial<ReportingEvent>): void => {
    const conversation = { conversationId: `c${c}`, customerId: `k${c % 997}`, inbox: 'support', channel: c % 3 === 0 ? 'email' : 'chat' } as const
    events.push(reportingEvent(`e${String(events.length).padStart(7, '0')}`, { kind, at, ...conversation, ...more }))
  }
  for (let c = 0; c < conversations; c++) {
    const created = END - 42 * DAY + Math.floor((c / conversations) * 42 * DAY)
    const agentId = `u${c % 4}`
    event(c, 'conversation_created', created, { agentId: null, calendarMs: null, businessMs: null })
    event(c, 'assigned', created + MIN, { agentId, calendarMs: null, businessMs: null })
    event(c, 'first_response', created + 5 * MIN, { agentId, calendarMs: 5 * MIN, businessMs: 5 * MIN })
    event(c, 'reply', created + 5 * MIN, { agentId, calendarMs: 5 * MIN, businessMs: 5 * MIN })
    event(c, 'resolved', created + 60 * MIN, { agentId, calendarMs: 60 * MIN, businessMs: 60 * MIN })
  }
  return events
}

describe('reportFromCache', () => {
  const db = new Database(':memory:')
  afterAll(() => db.close())
  const columns = columnsOf(monthOfEvents(20_000))
  const query = { from: END - 30 * DAY, to: END, timeZone: 'Europe/London' }

  /** Bytes of array buffers alive after `count` reports made one after another, each kept. */
  function grownBy(count: number, memory: () => ReportMemory | undefined): number {
    reportFromCache(db, columns, query, memory())
    const before = process.memoryUsage().arrayBuffers
    // Kept, so that no collection frees what they hold before the second reading.
    const reports = Array.from({ length: count }, (_, i) => reportFromCache(db, columns, { ...query, from: query.from + (i % 2) * MIN }, memory()))
    const grown = process.memoryUsage().arrayBuffers - before
    expect(reports.at(-1)!.report.created).toBeGreaterThan(10_000)
    return grown
  }

  it('makes report after report in one memory without allocating outside the heap again', () => {
    // Megabytes a report outside V8's heap set off full collections of the core's whole heap every few reports.
    const shared = new ReportMemory()
    const apart = grownBy(20, () => undefined)
    const together = grownBy(20, () => shared)
    expect(apart).toBeGreaterThan(20 * 20_000 * 4)
    expect(together).toBeLessThan(apart / 50)
  })

  it('reads the latest report’s drill-downs from the memory it was made in', () => {
    const memory = new ReportMemory()
    const alone = reportFromCache(db, columns, query)
    reportFromCache(db, columns, { ...query, from: query.from + 7 * DAY }, memory)
    const latest = reportFromCache(db, columns, query, memory)
    const keys = [drillKey.created, drillKey.resolved, drillKey.agent('u1', 'assigned'), drillKey.agent('u2', 'replies')]
    for (const key of keys) expect(latest.report.drill[key]).toEqual(alone.report.drill[key])
    expect(latest.report.drill[drillKey.created]).toHaveLength(latest.report.created)
  })
})
