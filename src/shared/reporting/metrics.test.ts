import fc from 'fast-check'
import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { CHANNELS } from '../domain'
import { columnsOf } from './event-columns'
import { REOPEN_HORIZON_MS, SlaTarget, type ReportingEvent } from './events'
import { drillKey, computeReport, Report, ReportMemory, reportOverColumns } from './metrics'
import { REPORT_PRESETS, ReportQuery } from './report-query'

const zone = 'Europe/Berlin'
/** A Berlin wall-clock time. */
const berlin = (local: string): number => DateTime.fromISO(local, { zone }).toMillis()
const MIN = 60_000
const HOUR = 3_600_000

let serial = 0
const event = (conversationId: string, kind: ReportingEvent['kind'], local: string, more: Partial<ReportingEvent> = {}): ReportingEvent => ({
  id: `e${String(++serial).padStart(3, '0')}`,
  kind,
  conversationId,
  customerId: null,
  inbox: 'support',
  channel: 'chat',
  team: 'tier1',
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

/**
 * Three Berlin days, Saturday 30 March to Monday 1 April 2024; clocks went forward at 02:00 on
 * Sunday 31 March, which had 23 hours.
 */
const query: ReportQuery = { from: berlin('2024-03-30T00:00'), to: berlin('2024-04-02T00:00'), timeZone: zone }

const c1 = { customerId: 'k1' } as const
const c2 = { customerId: 'k2', channel: 'email' } as const
const c3 = { customerId: 'k3' } as const
const c4 = { customerId: 'k4', channel: 'sms' } as const
const c5 = { customerId: 'k1', channel: 'email', inbox: 'sales' } as const
const c6 = { customerId: 'k6' } as const

const events: ReportingEvent[] = [
  // c1: answered and resolved by u1 alone, never reopened: resolved at first contact.
  event('c1', 'conversation_created', '2024-03-30T10:00', c1),
  event('c1', 'assigned', '2024-03-30T10:01', { ...c1, agentId: 'u1' }),
  event('c1', 'first_response', '2024-03-30T10:10', { ...c1, agentId: 'u1', calendarMs: 10 * MIN, businessMs: 10 * MIN }),
  event('c1', 'reply', '2024-03-30T10:10', { ...c1, agentId: 'u1', calendarMs: 10 * MIN, businessMs: 10 * MIN }),
  event('c1', 'resolved', '2024-03-30T11:00', { ...c1, agentId: 'u1', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
  event('c1', 'csat_answered', '2024-03-30T12:00', { ...c1, agentId: 'u1', rating: 5 }),

  // c2: written at night before the clocks changed, resolved, reopened the next day: not first contact.
  event('c2', 'conversation_created', '2024-03-31T01:30', { ...c2, afterHours: true }),
  event('c2', 'assigned', '2024-03-31T03:00', { ...c2, agentId: 'u2' }),
  event('c2', 'first_response', '2024-03-31T03:30', { ...c2, agentId: 'u2', calendarMs: 2 * HOUR, businessMs: 0 }),
  event('c2', 'reply', '2024-03-31T03:30', { ...c2, agentId: 'u2', calendarMs: 2 * HOUR, businessMs: 0 }),
  event('c2', 'resolved', '2024-03-31T10:00', { ...c2, agentId: 'u2', calendarMs: 7.5 * HOUR, businessMs: 1 * HOUR }),
  event('c2', 'reopened', '2024-04-01T09:00', c2),
  event('c2', 'reply', '2024-04-01T10:00', { ...c2, agentId: 'u2', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
  event('c2', 'resolved', '2024-04-01T12:00', { ...c2, agentId: 'u2', calendarMs: 3 * HOUR, businessMs: 3 * HOUR }),
  event('c2', 'csat_answered', '2024-04-01T13:00', { ...c2, agentId: 'u2', rating: 2 }),
  // The customer changed their mind: the later answer counts.
  event('c2', 'csat_answered', '2024-04-01T15:00', { ...c2, agentId: 'u2', rating: 4 }),
  // Nine days after creation: too late to be a channel switch of this contact.
  event('c2', 'channel_switched', '2024-04-09T09:00', { ...c2, channel: 'voice', fromChannel: 'email' }),

  // c3: an hour after c2 in UTC but 03:30 on the clock; moved to email, then to a call; two agents replied.
  event('c3', 'conversation_created', '2024-03-31T03:30', c3),
  event('c3', 'assigned', '2024-03-31T03:35', { ...c3, agentId: 'u1' }),
  event('c3', 'first_response', '2024-03-31T04:00', { ...c3, agentId: 'u1', calendarMs: 30 * MIN, businessMs: 30 * MIN }),
  event('c3', 'reply', '2024-03-31T04:00', { ...c3, agentId: 'u1', calendarMs: 30 * MIN, businessMs: 30 * MIN }),
  event('c3', 'channel_switched', '2024-03-31T04:30', { ...c3, channel: 'email', fromChannel: 'chat' }),
  event('c3', 'reply', '2024-03-31T05:00', { ...c3, channel: 'email', agentId: 'u2', calendarMs: 30 * MIN, businessMs: 30 * MIN }),
  event('c3', 'resolved', '2024-03-31T08:30', { ...c3, channel: 'email', agentId: 'u1', calendarMs: 5 * HOUR, businessMs: 5 * HOUR }),
  event('c3', 'channel_switched', '2024-04-01T10:00', { ...c3, channel: 'voice', fromChannel: 'email' }),
  event('c3', 'csat_answered', '2024-04-01T11:00', { ...c3, channel: 'voice', agentId: 'u1', rating: 3 }),

  // c4: created the week before, resolved in the range by u1 alone: first contact, though not created in the range.
  event('c4', 'conversation_created', '2024-03-25T10:00', c4),
  event('c4', 'assigned', '2024-03-25T10:05', { ...c4, agentId: 'u1' }),
  event('c4', 'first_response', '2024-03-25T11:00', { ...c4, agentId: 'u1', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
  event('c4', 'reply', '2024-03-25T11:00', { ...c4, agentId: 'u1', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
  event('c4', 'resolved', '2024-03-30T09:00', { ...c4, agentId: 'u1', calendarMs: 120 * HOUR, businessMs: 40 * HOUR }),

  // c5: another inbox, late on Monday, not answered yet.
  event('c5', 'conversation_created', '2024-04-01T23:30', { ...c5, afterHours: true }),

  // c6: 00:30 on Monday (still Sunday in UTC); reopened two days after the range ends, within 7 days of its resolution.
  event('c6', 'conversation_created', '2024-04-01T00:30', { ...c6, afterHours: true }),
  event('c6', 'assigned', '2024-04-01T08:00', { ...c6, agentId: 'u1' }),
  event('c6', 'first_response', '2024-04-01T09:00', { ...c6, agentId: 'u1', calendarMs: 8.5 * HOUR, businessMs: 1 * HOUR }),
  event('c6', 'reply', '2024-04-01T09:00', { ...c6, agentId: 'u1', calendarMs: 8.5 * HOUR, businessMs: 1 * HOUR }),
  event('c6', 'resolved', '2024-04-01T20:00', { ...c6, agentId: 'u1', calendarMs: 19.5 * HOUR, businessMs: 8 * HOUR }),
  event('c6', 'reopened', '2024-04-03T09:00', c6),
]

const conversations = new Map([['c1', { labels: ['vip'] }]])
const report = computeReport(events, conversations, query)

describe('computeReport', () => {
  it('matches its own schema, as the API serves it', () => {
    expect(Report.parse(report)).toEqual(report)
  })

  it('counts conversations created and resolved in the range, once each, listed by their earliest event', () => {
    expect(report.created).toBe(5)
    expect(report.drill[drillKey.created]).toEqual(['c1', 'c2', 'c3', 'c6', 'c5'])
    // c2 was resolved twice: one conversation. c4 began the week before.
    expect(report.resolved).toBe(5)
    expect(report.drill[drillKey.resolved]).toEqual(['c4', 'c1', 'c2', 'c3', 'c6'])
  })

  it('gives nearest-rank median and p90 of first response and resolution times', () => {
    // First responses in the range: 10 min, 2 h, 30 min, 8.5 h → sorted 10 min, 30 min, 2 h, 8.5 h.
    // Median: the ⌈0.5·4⌉ = 2nd; p90: the ⌈0.9·4⌉ = 4th. Business: 10 min, 0, 30 min, 1 h → 0, 10 min, 30 min, 1 h.
    expect(report.firstResponse).toEqual({
      samples: 4,
      calendar: { median: 30 * MIN, p90: 8.5 * HOUR },
      business: { median: 10 * MIN, p90: 1 * HOUR },
    })
    expect(report.drill[drillKey.firstResponse]).toEqual(['c1', 'c2', 'c3', 'c6'])
    // Resolutions in the range: 1, 7.5, 3, 5, 120, 19.5 h (c2 twice) → sorted 1, 3, 5, 7.5, 19.5, 120: the 3rd and the 6th.
    // Business: 1, 1, 3, 5, 40, 8 → 1, 1, 3, 5, 8, 40.
    expect(report.resolution).toEqual({
      samples: 6,
      calendar: { median: 5 * HOUR, p90: 120 * HOUR },
      business: { median: 3 * HOUR, p90: 40 * HOUR },
    })
  })

  it('counts first-contact resolutions: once, by one agent, not reopened within 7 days, even after the range', () => {
    // c1 and c4 qualify; c2 was reopened, c3 had two agents, c6 was reopened after the range ends.
    expect(report.firstContactResolution).toEqual({ resolved: 5, firstContact: 2, rate: 0.4 })
    expect(report.drill[drillKey.fcr]).toEqual(['c4', 'c1'])
  })

  it('counts reopens in the range against resolutions in it', () => {
    // c6's reopen falls after the range.
    expect(report.reopens).toEqual({ reopened: 1, resolved: 5, rate: 0.2 })
    expect(report.drill[drillKey.reopened]).toEqual(['c2'])
  })

  it("counts each customer's latest satisfaction answer, 4 and 5 as promoters", () => {
    // c1: 5, c2: 2 then 4, c3: 3.
    // No survey is recorded as sent here: answers count all the same, and there is no response rate.
    expect(report.csat).toEqual({ answers: 3, promoters: 2, share: 2 / 3, surveys: 0, responded: 0, responseRate: null })
    expect(report.drill[drillKey.csatPromoters]).toEqual(['c1', 'c2'])
  })

  it('counts the conversations with an SLA target breached in the range, once in all and once per target', () => {
    const breaches = [
      event('s1', 'conversation_created', '2024-03-30T10:00'),
      event('s1', 'sla_breached', '2024-03-30T11:00', { slaTarget: 'first_response' }),
      event('s1', 'sla_breached', '2024-03-31T11:00', { slaTarget: 'resolution' }),
      event('s2', 'sla_breached', '2024-03-30T12:00', { slaTarget: 'next_response' }),
      event('s2', 'sla_breached', '2024-03-30T13:00', { slaTarget: 'next_response' }),
      // The week before the range, and another inbox's: neither counts.
      event('s3', 'sla_breached', '2024-03-25T13:00', { slaTarget: 'first_response' }),
      event('s4', 'sla_breached', '2024-03-30T13:00', { slaTarget: 'first_response', inbox: 'sales' }),
    ]
    const r = computeReport(breaches, new Map(), { ...query, filters: { inboxes: ['support'] } })
    expect(r.sla).toEqual({ breached: 2, byTarget: { first_response: 1, next_response: 1, resolution: 1 } })
    expect(r.drill[drillKey.slaBreached]).toEqual(['s1', 's2'])
    expect(r.drill[drillKey.slaBreachedTarget('next_response')]).toEqual(['s2'])
    expect(r.drill[drillKey.slaBreachedTarget('resolution')]).toEqual(['s1'])
  })

  it('counts surveys sent in the range, and those answered by the end of what the report reads', () => {
    const surveys = [
      // s1: surveyed in the range, answered two days after it ends (within the week a report reads past it).
      event('s1', 'conversation_created', '2024-03-30T09:00', c1),
      event('s1', 'resolved', '2024-03-30T10:00', { ...c1, agentId: 'u1', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
      event('s1', 'csat_sent', '2024-03-30T10:00', { ...c1, agentId: 'u1' }),
      event('s1', 'csat_answered', '2024-04-03T09:00', { ...c1, agentId: 'u1', rating: 5 }),
      // s2: surveyed in the range, never answered.
      event('s2', 'conversation_created', '2024-03-31T09:00', c3),
      event('s2', 'resolved', '2024-03-31T10:00', { ...c3, agentId: 'u2', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
      event('s2', 'csat_sent', '2024-03-31T10:00', { ...c3, agentId: 'u2' }),
      // s3: surveyed the week before, answered in the range: an answer in the range, not a survey of it.
      event('s3', 'conversation_created', '2024-03-25T09:00', c4),
      event('s3', 'resolved', '2024-03-26T10:00', { ...c4, agentId: 'u1', calendarMs: 25 * HOUR, businessMs: 9 * HOUR }),
      event('s3', 'csat_sent', '2024-03-26T10:00', { ...c4, agentId: 'u1' }),
      event('s3', 'csat_answered', '2024-03-31T18:00', { ...c4, agentId: 'u1', rating: 2 }),
    ]
    const r = computeReport(surveys, new Map(), query)
    // Answers in the range: s3's 2 only. Surveys in the range: s1 and s2, of which s1 was answered.
    expect(r.csat).toEqual({ answers: 1, promoters: 0, share: 0, surveys: 2, responded: 1, responseRate: 0.5 })
    expect(r.drill[drillKey.csatAnswers]).toEqual(['s3'])
    expect(r.drill[drillKey.csatSurveys]).toEqual(['s1', 's2'])
    expect(r.drill[drillKey.csatResponded]).toEqual(['s1'])
    // s3's answer counts for the agent it was about; surveys are not counted per agent.
    expect(r.agents.find((a) => a.agentId === 'u1')?.csat).toEqual({ answers: 1, promoters: 0, share: 0 })
    // An answer past what the report is given is not known: s1 then counts as unanswered.
    const untilRangeEnd = computeReport(surveys.filter((e) => e.at < query.to), new Map(), query)
    expect(untilRangeEnd.csat).toMatchObject({ surveys: 2, responded: 0, responseRate: 0 })
    expect(untilRangeEnd.drill[drillKey.csatResponded] ?? []).toEqual([])
  })

  it('buckets creations by Berlin day and channel, across the change to summer time', () => {
    expect(report.volume.map((d) => [d.day, d.counts])).toEqual([
      ['2024-03-30', { chat: 1, email: 0, sms: 0, whatsapp: 0, voice: 0 }],
      // c2 at 01:30 CET and c3 at 03:30 CEST.
      ['2024-03-31', { chat: 1, email: 1, sms: 0, whatsapp: 0, voice: 0 }],
      // c6 at 00:30 CEST is 22:30 UTC on Sunday, but Monday in Berlin.
      ['2024-04-01', { chat: 1, email: 1, sms: 0, whatsapp: 0, voice: 0 }],
    ])
    expect(report.drill[drillKey.volume('2024-04-01', 'chat')]).toEqual(['c6'])
    expect(report.drill[drillKey.volume('2024-03-31', 'email')]).toEqual(['c2'])
  })

  it('maps creations to weekday and hour on the Berlin clock', () => {
    const cells = report.heat.flatMap((row) => row.hours.flatMap((count, hour) => (count > 0 ? [[row.weekday, hour, count]] : [])))
    // Saturday 10:00 (c1), Sunday 01:30 and 03:30 an hour apart (c2, c3), Monday 00:30 and 23:30 (c6, c5).
    expect(cells).toEqual([
      [1, 0, 1],
      [1, 23, 1],
      [6, 10, 1],
      [7, 1, 1],
      [7, 3, 1],
    ])
    expect(report.drill[drillKey.heat(7, 3)]).toEqual(['c3'])
  })

  it('gives the share of conversations created after hours', () => {
    expect(report.afterHours).toEqual({ created: 5, afterHours: 3, share: 0.6 })
    expect(report.drill[drillKey.afterHours]).toEqual(['c2', 'c6', 'c5'])
  })

  it('tabulates each agent', () => {
    expect(report.agents).toEqual([
      {
        agentId: 'u1',
        // c4 was assigned and answered before the range.
        assigned: 3,
        replies: 3,
        resolved: 4,
        // 10 min, 30 min, 8.5 h; business 10 min, 30 min, 1 h.
        firstResponse: { calendar: 30 * MIN, business: 30 * MIN },
        // 1, 5, 120, 19.5 h → the 2nd of 1, 5, 19.5, 120; business 1, 5, 40, 8 → the 2nd of 1, 5, 8, 40.
        resolution: { calendar: 5 * HOUR, business: 5 * HOUR },
        csat: { answers: 2, promoters: 1, share: 0.5 },
      },
      {
        agentId: 'u2',
        assigned: 1,
        replies: 3,
        resolved: 1,
        firstResponse: { calendar: 2 * HOUR, business: 0 },
        // 7.5 and 3 h: the lower.
        resolution: { calendar: 3 * HOUR, business: 1 * HOUR },
        csat: { answers: 1, promoters: 1, share: 1 },
      },
    ])
    expect(report.drill[drillKey.agent('u1', 'resolved')]).toEqual(['c4', 'c1', 'c3', 'c6'])
    expect(report.drill[drillKey.agent('u2', 'replies')]).toEqual(['c2', 'c3'])
  })

  it('gives the share of customers who switched channel within a week, and the paths taken', () => {
    // k1 (c1, c5), k2, k3, k4, k6; only k3 switched within 7 days of creating c3.
    expect(report.switching).toEqual({
      customers: 5,
      switchedCustomers: 1,
      rate: 0.2,
      conversations: 1,
      paths: [{ path: 'chat → email → voice', channels: ['chat', 'email', 'voice'], conversations: 1 }],
    })
    expect(report.drill[drillKey.switched]).toEqual(['c3'])
    expect(report.drill[drillKey.path('chat → email → voice')]).toEqual(['c3'])
  })

  it('filters by inbox, channel, team, agent and label', () => {
    const withFilters = (filters: ReportQuery['filters']) => computeReport(events, conversations, { ...query, filters })
    expect(withFilters({ inboxes: ['sales'] }).drill[drillKey.created]).toEqual(['c5'])
    expect(withFilters({ channels: ['email'] }).drill[drillKey.created]).toEqual(['c2', 'c5'])
    expect(withFilters({ teams: ['tier2'] }).created).toBe(0)
    const vip = withFilters({ labels: ['vip'] })
    expect([vip.created, vip.resolved, vip.firstContactResolution.firstContact]).toEqual([1, 1, 1])
    const u2 = withFilters({ agents: ['u2'] })
    expect(u2.agents.map((a) => a.agentId)).toEqual(['u2'])
    expect(u2.drill[drillKey.resolved]).toEqual(['c2'])
  })

  it('takes a second resolution within 7 days as undoing the first, even with its reopen missing', () => {
    const twice = [
      event('x', 'conversation_created', '2024-03-30T10:00'),
      event('x', 'resolved', '2024-03-30T11:00', { agentId: 'u1', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
      event('x', 'resolved', '2024-04-05T11:00', { agentId: 'u1', calendarMs: 1 * HOUR, businessMs: 1 * HOUR }),
    ]
    expect(computeReport(twice, new Map(), query).firstContactResolution).toEqual({ resolved: 1, firstContact: 0, rate: 0 })
    expect(computeReport(twice.slice(0, 2), new Map(), query).firstContactResolution).toEqual({ resolved: 1, firstContact: 1, rate: 1 })
  })

  it("keeps a report's figures and drill-downs its own after other reports over the same events", () => {
    // Reports share working arrays; a drill-down read later must not see a later report's. The
    // client core passes windows of one set of columns, numbered from each window's first event.
    const columns = columnsOf(events)
    const over = (q: ReportQuery) => reportOverColumns(columns, columns.lowerBound(q.from - REOPEN_HORIZON_MS), columns.lowerBound(q.to + REOPEN_HORIZON_MS), new Map(), q)
    const first = over(query)
    const alone = JSON.parse(JSON.stringify(computeReport(events, new Map(), query))) as unknown
    for (let day = 1; day <= 9; day++) over({ ...query, from: query.from + day * 86_400_000, to: query.to + day * 86_400_000 })
    expect(Object.keys(first.drill).length).toBeGreaterThan(20)
    expect(JSON.parse(JSON.stringify(first))).toEqual(alone)
  })

  it('makes each report in a memory shared with the next one the same as a report made alone', () => {
    // The client core reads only its latest report, and makes them all in one memory.
    const columns = columnsOf(events)
    const memory = new ReportMemory()
    for (let day = 0; day <= 4; day++) {
      const q = { ...query, from: query.from + day * 86_400_000, to: query.to + day * 86_400_000 }
      const made = reportOverColumns(columns, columns.lowerBound(q.from - REOPEN_HORIZON_MS), columns.lowerBound(q.to + REOPEN_HORIZON_MS), new Map(), q, memory)
      expect(JSON.parse(JSON.stringify(made))).toEqual(JSON.parse(JSON.stringify(computeReport(events, new Map(), q))))
    }
  })

  it('covers every day of the range with zeros, and answers null shares when there is nothing to divide', () => {
    const empty = computeReport([], new Map(), query)
    expect(empty.volume.map((d) => d.day)).toEqual(['2024-03-30', '2024-03-31', '2024-04-01'])
    expect(empty.firstContactResolution.rate).toBeNull()
    expect(empty.firstResponse.calendar).toEqual({ median: null, p90: null })
    expect(empty.heat).toHaveLength(7)
  })
})

describe('ReportQuery', () => {
  it('names what is wrong', () => {
    const issues = (q: unknown) => ReportQuery.safeParse(q).error?.issues.map((i) => i.message) ?? []
    expect(issues({ from: 10, to: 20, timeZone: 'Mars/Olympus' })[0]).toMatch(/time zone/)
    expect(issues({ from: 20, to: 20, timeZone: zone })).toEqual(['the range must end after it starts'])
    expect(issues({ from: 0, to: 401 * 86_400_000, timeZone: zone })).toEqual(['a report covers at most 400 days'])
    expect(issues({ from: 0, to: 1, timeZone: zone, filters: { agents: [] } })[0]).toMatch(/leave out an empty agent filter/)
    expect(issues({ from: 0, to: 1, timeZone: zone, filters: { channels: ['chat'] } })).toEqual([])
  })

  it('gives presets as whole local days, the last n days including today', () => {
    const now = berlin('2024-03-31T12:00')
    const range = (preset: keyof typeof REPORT_PRESETS) => {
      const r = REPORT_PRESETS[preset].range(zone, now)
      return [r.from, r.to].map((ms) => DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm"))
    }
    expect(range('today')).toEqual(['2024-03-31T00:00', '2024-04-01T00:00'])
    expect(REPORT_PRESETS.today.range(zone, now).to - REPORT_PRESETS.today.range(zone, now).from).toBe(23 * HOUR)
    expect(range('yesterday')).toEqual(['2024-03-30T00:00', '2024-03-31T00:00'])
    expect(range('last7Days')).toEqual(['2024-03-25T00:00', '2024-04-01T00:00'])
    expect(range('last30Days')).toEqual(['2024-03-02T00:00', '2024-04-01T00:00'])
    expect(range('thisMonth')).toEqual(['2024-03-01T00:00', '2024-04-01T00:00'])
    expect(range('lastMonth')).toEqual(['2024-02-01T00:00', '2024-03-01T00:00'])
    expect(() => REPORT_PRESETS.today.range('Mars/Olympus', now)).toThrow(/time zone/)
  })
})

// ——— Properties ———

const base = berlin('2024-03-25T00:00')
const DAY = 86_400_000

const anEvent = (id: number) =>
  fc
    .record({
      kind: fc.constantFrom<ReportingEvent['kind']>('conversation_created', 'first_response', 'reply', 'assigned', 'resolved', 'reopened', 'sla_breached', 'csat_sent', 'csat_answered', 'channel_switched'),
      conversationId: fc.constantFrom('a', 'b', 'c', 'd'),
      customerId: fc.constantFrom('k1', 'k2', 'k3', null),
      inbox: fc.constantFrom('support', 'sales'),
      channel: fc.constantFrom(...CHANNELS),
      team: fc.constantFrom('tier1', null),
      agentId: fc.constantFrom('u1', 'u2', 'u3', null),
      // Few distinct times over two weeks: events of a conversation often share one, and ties must fall the same way in any order.
      at: fc.integer({ min: 0, max: 20 }).map((q) => base + q * 16 * HOUR),
      ms: fc.integer({ min: 0, max: 10 * DAY }),
      afterHours: fc.boolean(),
      rating: fc.integer({ min: 1, max: 5 }),
    })
    .map(({ ms, rating, ...e }): ReportingEvent => ({
      ...e,
      id: `e${String(id).padStart(4, '0')}`,
      calendarMs: ['first_response', 'reply', 'resolved'].includes(e.kind) ? ms : null,
      businessMs: ['first_response', 'reply', 'resolved'].includes(e.kind) ? Math.floor(ms / 3) : null,
      fromChannel: e.kind === 'channel_switched' ? 'chat' : null,
      rating: e.kind === 'csat_answered' ? rating : null,
      slaTarget: e.kind === 'sla_breached' ? 'first_response' : null,
    }))

const byTime = (a: ReportingEvent, b: ReportingEvent): number => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

const eventLists = fc.integer({ min: 0, max: 60 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => anEvent(i))))

const queries = fc.record({
  from: fc.integer({ min: 0, max: 10 * 24 }).map((h) => base + h * HOUR),
  hours: fc.integer({ min: 1, max: 14 * 24 }),
  timeZone: fc.constantFrom('Europe/Berlin', 'UTC', 'America/Santiago', 'Asia/Kolkata', 'Australia/Lord_Howe'),
})

const filters = fc.record(
  {
    inboxes: fc.constant<string[]>(['sales']),
    channels: fc.subarray([...CHANNELS], { minLength: 1 }),
    teams: fc.constant<string[]>(['tier1']),
    agents: fc.subarray(['u1', 'u2', 'u3'], { minLength: 1 }),
  },
  { requiredKeys: [] },
)

describe('computeReport properties', () => {
  it("does not depend on the order of the events, given in the stores' order or any other", () => {
    fc.assert(
      fc.property(
        eventLists.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length }))),
        queries,
        fc.option(filters, { nil: undefined }),
        ([list, shuffled], { from, hours, timeZone }, only) => {
          const q = { from, to: from + hours * HOUR, timeZone, filters: only }
          const report = computeReport(shuffled, new Map(), q)
          expect(report).toEqual(computeReport(list, new Map(), q))
          expect(report).toEqual(computeReport([...list].sort(byTime), new Map(), q))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('keeps its counts consistent, each with as many conversations behind it', () => {
    fc.assert(
      fc.property(eventLists, queries, fc.boolean(), (list, { from, hours, timeZone }, byLabel) => {
        const q: ReportQuery = { from, to: from + hours * HOUR, timeZone, ...(byLabel ? { filters: { labels: ['x'] } } : {}) }
        const r = computeReport(list, new Map([['a', { labels: ['x'] }], ['b', { labels: ['y'] }]]), q)
        Report.parse(r)
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
        expect(sum(r.volume.flatMap((d) => Object.values(d.counts)))).toBe(r.created)
        expect(sum(r.heat.flatMap((row) => row.hours))).toBe(r.created)
        expect(r.firstContactResolution.firstContact).toBeLessThanOrEqual(r.resolved)
        expect(r.switching.switchedCustomers).toBeLessThanOrEqual(r.switching.customers)
        expect(r.csat.responded).toBeLessThanOrEqual(r.csat.surveys)
        expect(r.drill[drillKey.csatResponded]?.every((id) => r.drill[drillKey.csatSurveys]!.includes(id)) ?? true).toBe(true)

        const ids = (key: string) => r.drill[key] ?? []
        const counted: [string, number][] = [
          [drillKey.created, r.created],
          [drillKey.resolved, r.resolved],
          [drillKey.fcr, r.firstContactResolution.firstContact],
          [drillKey.reopened, r.reopens.reopened],
          [drillKey.csatAnswers, r.csat.answers],
          [drillKey.csatPromoters, r.csat.promoters],
          [drillKey.csatSurveys, r.csat.surveys],
          [drillKey.csatResponded, r.csat.responded],
          [drillKey.afterHours, r.afterHours.afterHours],
          [drillKey.switched, r.switching.conversations],
          [drillKey.slaBreached, r.sla.breached],
          ...SlaTarget.options.map((t): [string, number] => [drillKey.slaBreachedTarget(t), r.sla.byTarget[t] ?? 0]),
          ...r.volume.flatMap((d) => CHANNELS.map((c): [string, number] => [drillKey.volume(d.day, c), d.counts[c]])),
          ...r.heat.flatMap((row) => row.hours.map((count, hour): [string, number] => [drillKey.heat(row.weekday, hour), count])),
          ...r.agents.flatMap((a): [string, number][] => [
            [drillKey.agent(a.agentId, 'assigned'), a.assigned],
            [drillKey.agent(a.agentId, 'resolved'), a.resolved],
            [drillKey.agent(a.agentId, 'csat.answers'), a.csat.answers],
            [drillKey.agent(a.agentId, 'csat.promoters'), a.csat.promoters],
          ]),
          ...r.switching.paths.map((p): [string, number] => [drillKey.path(p.path), p.conversations]),
        ]
        for (const [key, count] of counted) expect([key, ids(key).length]).toEqual([key, count])
        // Each conversation once, in the order of its earliest event.
        const earliest = new Map<string, ReportingEvent>()
        for (const e of [...list].sort(byTime)) if (!earliest.has(e.conversationId)) earliest.set(e.conversationId, e)
        for (const ids of Object.values(r.drill)) {
          ids.slice(1).forEach((id, i) => expect(byTime(earliest.get(ids[i]!)!, earliest.get(id)!)).toBeLessThan(0))
        }
        if (byLabel) expect(Object.values(r.drill).flat().every((id) => id === 'a')).toBe(true)
      }),
    )
  })

  it('reads local days and hours as luxon does, across clock changes', () => {
    // Weeks with changes in each zone: Santiago puts its clocks forward at midnight in September, skipping it.
    const weeks = fc.constantFrom('2024-03-25', '2024-04-01', '2024-09-02', '2024-10-01', '2024-10-22').map((day) => DateTime.fromISO(day, { zone: 'UTC' }).toMillis())
    const zones = fc.constantFrom('Europe/Berlin', 'UTC', 'America/Santiago', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns')
    fc.assert(
      fc.property(weeks, fc.integer({ min: 0, max: 7 * 24 * 60 }), zones, fc.integer({ min: 0, max: 14 * 24 * 60 - 1 }), (week, startMinute, timeZone, minute) => {
        const from = week + startMinute * MIN
        const to = from + 14 * DAY
        const at = from + minute * MIN
        const r = computeReport([{ ...event('a', 'conversation_created', '2024-03-25T00:00'), at }], new Map(), { from, to, timeZone })
        const local = DateTime.fromMillis(at, { zone: timeZone })
        const cell = r.heat.flatMap((row) => row.hours.flatMap((count, hour) => (count > 0 ? [[row.weekday, hour]] : [])))
        expect(cell).toEqual([[local.weekday, local.hour]])
        expect(r.volume.find((d) => d.counts.chat > 0)?.day).toBe(local.toISODate())
      }),
      { numRuns: 2000 },
    )
  })
})
