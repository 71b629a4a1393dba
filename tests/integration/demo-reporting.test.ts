import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_SUPERVISOR_EMAIL } from '../../src/server/demo/generate'
import { demoServerConfig } from '../../src/server/demo/inboxes'
import { seedDemo, type DemoSummary } from '../../src/server/demo/seed'
import { startTestServer, waitFor, type TestServer } from './server-fixtures'

/**
 * The demo as `npm start` seeds it — its history through the real ingest path and agents'
 * actions, into a server configured with the demo inboxes and their business hours — gives the
 * supervisors' dashboards something to show: reporting events of every kind it can cause, on
 * the days the history says they happened.
 */

/** A June: the history runs over Easter and the May bank holidays. */
const NOW = Date.UTC(2026, 5, 1, 9)
const DAY = 86_400_000

interface EventRow {
  kind: string
  at: number
  calendar_ms: number | null
  business_ms: number | null
  after_hours: string
  agent_id: string | null
  rating: number | null
  channel: string
}

let t: TestServer
let summary: DemoSummary
let events: EventRow[]

beforeAll(async () => {
  t = await startTestServer(demoServerConfig('https://threadline.example.test'))
  summary = await seedDemo(t.server, { seed: 1, customers: 60, now: NOW })
  const db = new Database(t.dbPath, { readonly: true })
  try {
    // A survey counts as sent when the dispatcher has sent it, just after the seeding.
    const queued = db.prepare(`SELECT count(*) FROM messages WHERE delivery_status = 'queued'`).pluck()
    await waitFor(() => queued.get() === 0, 'the demo’s surveys to be sent', 60_000)
    events = db.prepare('SELECT kind, at, calendar_ms, business_ms, after_hours, agent_id, rating, channel FROM reporting_events').all() as EventRow[]
  } finally {
    db.close()
  }
}, 180_000)

afterAll(async () => {
  await t?.cleanup()
})

const ofKind = (kind: string): EventRow[] => events.filter((e) => e.kind === kind)

describe('the seeded demo', () => {
  it('holds reporting events of every kind its history causes, each within the history', () => {
    for (const kind of ['conversation_created', 'first_response', 'reply', 'assigned', 'resolved', 'reopened', 'channel_switched', 'csat_sent', 'csat_answered', 'sla_breached']) {
      expect(ofKind(kind).length, kind).toBeGreaterThan(0)
    }
    // Reopenings and channel switches come with customers' messages: dated when they were sent, not when the demo was seeded.
    for (const event of events) {
      expect(event.at).toBeLessThanOrEqual(NOW)
      expect(event.at).toBeGreaterThan(NOW - 91 * DAY)
    }
    expect(summary.rethreaded).toBe(0)
  })

  it('measures waits that crossed closed hours as shorter in business time, and counts conversations begun after hours', () => {
    const firstResponses = ofKind('first_response')
    const crossed = firstResponses.filter((e) => e.business_ms! < e.calendar_ms!)
    expect(crossed.length).toBeGreaterThan(firstResponses.length * 0.1)
    expect(firstResponses.every((e) => e.business_ms! <= e.calendar_ms!)).toBe(true)

    const created = ofKind('conversation_created')
    const afterHours = created.filter((e) => e.after_hours === 'true').length
    expect(afterHours / created.length).toBeGreaterThan(0.1)
    expect(afterHours / created.length).toBeLessThan(0.4)
  })

  it('has customers answer about half the surveys, mostly satisfied, on every channel that carries one, by their own way of answering', () => {
    const sent = ofKind('csat_sent')
    const answered = ofKind('csat_answered')
    expect(answered.length / sent.length).toBeGreaterThan(0.25)
    expect(answered.length / sent.length).toBeLessThan(0.65)
    expect(answered.filter((e) => e.rating! >= 4).length / answered.length).toBeGreaterThan(0.5)
    expect(new Set(sent.map((e) => e.channel))).toEqual(new Set(['chat', 'email', 'sms', 'whatsapp']))
    const db = new Database(t.dbPath, { readonly: true })
    try {
      // A digit answering a survey by text is kept as a message too.
      const digits = db.prepare(`SELECT text FROM messages WHERE direction = 'inbound' AND text GLOB '[1-5]'`).all()
      expect(digits.length).toBeGreaterThan(0)
      expect(digits.length).toBeLessThanOrEqual(answered.filter((e) => e.channel === 'sms' || e.channel === 'whatsapp').length)
    } finally {
      db.close()
    }
  })

  it('has a supervisor to see them, and agents answering', async () => {
    expect(await t.server.findUserByEmail(DEMO_SUPERVISOR_EMAIL)).toMatchObject({ name: 'Sam Okafor', role: 'supervisor', team: 'Support' })
    const repliers = new Set(ofKind('reply').map((e) => e.agent_id))
    const db = new Database(t.dbPath, { readonly: true })
    try {
      const roles = db.prepare('SELECT DISTINCT role FROM users WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify([...repliers]))
      expect(roles).toEqual([{ role: 'agent' }])
    } finally {
      db.close()
    }
  })
})
