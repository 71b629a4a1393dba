import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { conversationRows, measureOfRows, reportCsv, rowAt, rowPositions } from './csv'
import { columnsOf } from './event-columns'
import type { ReportingEvent } from './events'

const zone = 'Europe/Berlin'
const berlin = (local: string): number => DateTime.fromISO(local, { zone }).toMillis()
const HOUR = 3_600_000

let serial = 0
const event = (conversationId: string, kind: ReportingEvent['kind'], local: string, more: Partial<ReportingEvent> = {}): ReportingEvent => ({
  id: `e${String(++serial).padStart(3, '0')}`,
  kind,
  conversationId,
  customerId: 'k1',
  inbox: 'support',
  channel: 'chat',
  team: null,
  agentId: null,
  at: berlin(local),
  calendarMs: null,
  businessMs: null,
  afterHours: false,
  fromChannel: null,
  rating: null,
  slaTarget: null,
  ...more,
})

const moved = { inbox: 'Billing, "EU"', team: 'tier2' }

const events: ReportingEvent[] = [
  event('c1', 'conversation_created', '2024-03-31T03:30'),
  event('c1', 'assigned', '2024-03-31T03:31', { agentId: 'u1' }),
  event('c1', 'first_response', '2024-03-31T04:00', { agentId: 'u1', calendarMs: 0.5 * HOUR, businessMs: 0 }),
  event('c1', 'channel_switched', '2024-03-31T05:00', { channel: 'email', fromChannel: 'chat' }),
  event('c1', 'resolved', '2024-03-31T06:00', { agentId: 'u1', calendarMs: 2.5 * HOUR, businessMs: 1 * HOUR }),
  event('c1', 'reopened', '2024-04-01T09:00'),
  // Moved to another inbox and team, and resolved by someone else.
  event('c1', 'resolved', '2024-04-01T10:00', { ...moved, agentId: 'u2', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
  event('c1', 'csat_sent', '2024-04-01T10:00', { ...moved, agentId: 'u2' }),
  event('c1', 'csat_answered', '2024-04-01T11:00', { ...moved, agentId: 'u2', rating: 2 }),
  event('c1', 'csat_answered', '2024-04-01T12:00', { ...moved, agentId: 'u2', rating: 4 }),
  event('c2', 'conversation_created', '2024-04-01T08:00', { customerId: null, inbox: '=cmd()', channel: 'voice' }),
  event('c3', 'conversation_created', '2024-04-01T09:00'),
]

describe('conversation rows', () => {
  it('describes each conversation as its events tell it', () => {
    const { timeZone, rows } = conversationRows(events, ['c1', 'c2', 'missing'], zone)
    expect(timeZone).toBe(zone)
    expect(rows).toEqual([
      {
        id: 'c1',
        customerId: 'k1',
        inbox: 'Billing, "EU"',
        team: 'tier2',
        channel: 'chat',
        agentId: 'u2',
        createdAt: berlin('2024-03-31T03:30'),
        firstResponseCalendarMs: 0.5 * HOUR,
        firstResponseBusinessMs: 0,
        resolutionCalendarMs: 1 * HOUR,
        resolutionBusinessMs: 1 * HOUR,
        reopened: 1,
        csatSurveyed: true,
        csatRating: 4,
        wrapUp: null,
      },
      {
        id: 'c2',
        customerId: null,
        inbox: '=cmd()',
        team: null,
        channel: 'voice',
        agentId: null,
        createdAt: berlin('2024-04-01T08:00'),
        firstResponseCalendarMs: null,
        firstResponseBusinessMs: null,
        resolutionCalendarMs: null,
        resolutionBusinessMs: null,
        reopened: 0,
        csatSurveyed: false,
        csatRating: null,
        wrapUp: null,
      },
      {
        id: 'missing',
        customerId: null,
        inbox: null,
        team: null,
        channel: null,
        agentId: null,
        createdAt: null,
        firstResponseCalendarMs: null,
        firstResponseBusinessMs: null,
        resolutionCalendarMs: null,
        resolutionBusinessMs: null,
        reopened: 0,
        csatSurveyed: false,
        csatRating: null,
        wrapUp: null,
      },
    ])
  })

  it('reads one measure of every row as the rows hold it, without building them', () => {
    const columns = columnsOf(events)
    const ids = ['c2', 'nowhere', 'c1', 'c2']
    const at = rowPositions(columns, 0, columns.length, ids)
    const fields = ['createdAt', 'firstResponseCalendarMs', 'firstResponseBusinessMs', 'resolutionCalendarMs', 'resolutionBusinessMs', 'reopened', 'csatRating'] as const
    for (const field of fields) {
      // A conversation with no events in the window has no measure, not even a count of reopens.
      expect([...measureOfRows(at, field)], field).toEqual(ids.map((id, r) => (id === 'nowhere' ? NaN : (rowAt(at, r)[field] ?? NaN))))
    }
  })
})

describe('report CSV', () => {
  it('writes RFC 4180 lines, times on the clock of the zone the header names, formulas defused', () => {
    const rows = conversationRows(events, ['c1', 'c2'], zone)
    rows.rows[0]!.wrapUp = 'Refund of "£40" promised by Friday.\nOpen: the replacement.'
    const csv = reportCsv(rows)
    expect(csv.split('\r\n')).toEqual([
      'id,customer_id,inbox,channel,team,agent_id,created_at (Europe/Berlin),first_response_calendar_ms,first_response_business_ms,resolution_calendar_ms,resolution_business_ms,reopened,csat_surveyed,csat_rating,wrap_up',
      // 03:30 summer time, an hour after the clocks went forward.
      'c1,k1,"Billing, ""EU""",chat,tier2,u2,2024-03-31 03:30:00,1800000,0,3600000,3600000,1,true,4,"Refund of ""£40"" promised by Friday.\nOpen: the replacement."',
      "c2,,'=cmd(),voice,,,2024-04-01 08:00:00,,,,,0,false,,",
      '',
    ])
  })

  it('quotes line breaks inside a field', () => {
    const { rows } = conversationRows([event('c9', 'conversation_created', '2024-01-01T00:00', { inbox: 'two\nlines' })], ['c9'], 'UTC')
    expect(reportCsv({ timeZone: 'UTC', rows }).split('\r\n')[1]).toBe('c9,k1,"two\nlines",chat,,,2023-12-31 23:00:00,,,,,0,false,,')
  })
})
