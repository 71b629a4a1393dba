import { afterEach, describe, expect, it } from 'vitest'
import type { ServerConfig } from '../../src/server/server'
import type { ReportingEvent } from '../../src/shared/reporting/events'
import type { InboundMessage } from '../../src/shared/ingest'
import { blockEvents } from '../../src/shared/reporting/event-block'
import { PullResponse, unpackPullResponse, type Poke } from '../../src/shared/sync'
import { api, connectClient, startTestServer, userWithToken, waitFor, type TestServer } from './server-fixtures'
import { webhookInboxes } from './support/webhook-inboxes'

/**
 * Reporting events recorded by the server as things happen, through the real ingest and
 * mutation paths, and synced only to supervisors who may see their inbox.
 */

let t: TestServer | null = null
afterEach(async () => {
  await t?.cleanup()
  t = null
})

const HOUR = 3_600_000
/** Friday 27 November 2026, 16:00 UTC. */
const FRIDAY_4PM = Date.UTC(2026, 10, 27, 16)
/** Monday 30 November 2026, 10:00 UTC. */
const MONDAY_10AM = Date.UTC(2026, 10, 30, 10)

/** The SMS inbox works Monday to Friday, 09:00–17:00 UTC; the voice inbox has no schedule. */
function config(): Partial<ServerConfig> {
  const base = webhookInboxes()
  const weekday = [{ from: '09:00', to: '17:00' }]
  return {
    ...base,
    inboxes: (base.inboxes ?? []).map((inbox) =>
      inbox.name === 'sms-main'
        ? { ...inbox, businessHours: { timeZone: 'UTC', week: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday }, holidays: [] } }
        : inbox,
    ),
  } as Partial<ServerConfig>
}

const sms = (n: number, sentAt: number, extra: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: 'sms',
  inbox: 'sms-main',
  externalId: `SM-report-${n}`,
  from: { kind: 'phone', address: '+14155550101' },
  text: `Message ${n}: where is my order 5512?`,
  sentAt,
  ...extra,
})

/** Every reporting event the token's user may pull, from the start: as changes, or as blocks when `eventBlock` asks. */
async function pulled(token: string, options: { eventBlock?: boolean; limit?: number } = {}): Promise<ReportingEvent[]> {
  const { socket } = await connectClient(t!.server.url, token)
  try {
    const events: ReportingEvent[] = []
    let after = 0
    for (;;) {
      // Parsed as the client core parses it: blocks are checked value by value like the changes.
      const page = PullResponse.parse(unpackPullResponse(await socket.emitWithAck('pull', { after, limit: options.limit ?? 1000, eventBlock: options.eventBlock ?? false })))
      for (const c of page.changes) if (c.entity === 'reportingEvent' && c.data) events.push(c.data as ReportingEvent)
      // Each event has one change here, so asked for blocks, none comes as a change.
      if (options.eventBlock) expect(page.changes.filter((c) => c.entity === 'reportingEvent')).toEqual([])
      else expect(page.eventBlock).toBeUndefined()
      if (page.eventBlock) events.push(...blockEvents(page.eventBlock))
      after = page.cursor
      if (!page.hasMore) return events
    }
  } finally {
    socket.close()
  }
}

describe('reporting events', () => {
  it('measure the first response and each reply in calendar and business hours, once each, and count no automatic reply', async () => {
    t = await startTestServer(config())
    const { user: agent } = await userWithToken(t.server, 'Ana')
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const first = await t.server.ingest(sms(1, FRIDAY_4PM, { autoReply: { text: 'Thanks, we will be in touch.' } }))
    const reply = (id: string, at: number) =>
      t!.server.applyMutation(agent, { name: 'reply', args: { messageId: id, conversationId: first.conversationId, text: 'On its way.' } }, undefined, { at })
    expect((await reply('r1', MONDAY_10AM)).outcome).toBe('applied')
    await t.server.ingest(sms(2, MONDAY_10AM + HOUR))
    expect((await reply('r2', MONDAY_10AM + 1.5 * HOUR)).outcome).toBe('applied')

    const events = await pulled(supervisor.token)
    const of = (kind: ReportingEvent['kind']) => events.filter((e) => e.kind === kind)
    expect(of('conversation_created')).toMatchObject([{ conversationId: first.conversationId, channel: 'sms', inbox: 'sms-main' }])
    // Friday 16:00 → Monday 10:00: 66 hours on the calendar, two of them working hours (Friday's last, Monday's first).
    expect(of('first_response')).toMatchObject([{ agentId: agent.id, at: MONDAY_10AM, calendarMs: 66 * HOUR, businessMs: 2 * HOUR, afterHours: false }])
    expect(of('reply').map((e) => [e.calendarMs, e.businessMs])).toEqual([
      [66 * HOUR, 2 * HOUR],
      [0.5 * HOUR, 0.5 * HOUR],
    ])
    expect(of('conversation_created')[0]?.customerId).toBe(first.customerId)
  })

  it('record a switch of channel, assignment, resolution with its span, and reopening by the customer', async () => {
    t = await startTestServer(config())
    const { user: agent } = await userWithToken(t.server, 'Ana')
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const call = await t.server.ingest({
      channel: 'voice',
      inbox: 'calls',
      externalId: 'CA-report-1',
      from: { kind: 'phone', address: '+14155550101' },
      call: { status: 'completed', outcome: 'missed' },
    })
    const text = await t.server.ingest(sms(3, Date.now()))
    expect(text.conversationId).toBe(call.conversationId)
    const later = Date.now() + HOUR
    const act = (mutation: Parameters<TestServer['server']['applyMutation']>[1], at: number) => t!.server.applyMutation(agent, mutation, undefined, { at })
    expect((await act({ name: 'assign', args: { conversationId: call.conversationId, assigneeId: agent.id } }, later)).outcome).toBe('applied')
    expect((await act({ name: 'setStatus', args: { conversationId: call.conversationId, status: 'resolved' } }, later + HOUR)).outcome).toBe('applied')
    expect((await t.server.ingest(sms(4, later + 2 * HOUR))).conversationId).toBe(call.conversationId)

    const events = await pulled(supervisor.token)
    expect(events.map((e) => e.kind)).toEqual(['conversation_created', 'channel_switched', 'assigned', 'resolved', 'reopened'])
    const [created, switched, assigned, resolved, reopened] = events
    expect(created).toMatchObject({ channel: 'voice', inbox: 'calls' })
    expect(switched).toMatchObject({ fromChannel: 'voice', channel: 'sms', inbox: 'calls' })
    expect(assigned).toMatchObject({ agentId: agent.id, at: later })
    // The voice inbox keeps no hours: its business time is its calendar time.
    expect(resolved).toMatchObject({ agentId: agent.id, at: later + HOUR, afterHours: false })
    expect(resolved?.calendarMs).toBe(later + HOUR - created!.at)
    expect(resolved?.businessMs).toBe(resolved?.calendarMs)
    expect(reopened).toMatchObject({ conversationId: call.conversationId, agentId: agent.id })
  })

  it('reach supervisors who may see their inbox, and never agents', async () => {
    t = await startTestServer(config())
    const agent = await userWithToken(t.server, 'Ana')
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const elsewhere = await userWithToken(t.server, 'Vic', { role: 'supervisor', inboxes: ['calls'] })
    const admin = await userWithToken(t.server, 'Ada', { role: 'admin' })
    await t.server.ingest(sms(1, FRIDAY_4PM))

    expect((await pulled(supervisor.token)).map((e) => e.kind)).toEqual(['conversation_created'])
    expect((await pulled(admin.token)).map((e) => e.kind)).toEqual(['conversation_created'])
    expect(await pulled(elsewhere.token)).toEqual([])
    expect(await pulled(agent.token)).toEqual([])

    // Live too: the same commit pokes the supervisor with its event and the agent without it.
    const live = await Promise.all([connectClient(t.server.url, supervisor.token), connectClient(t.server.url, agent.token)])
    try {
      const [toSupervisor, toAgent] = live.map((c) => c.pokes)
      await t.server.ingest(sms(2, FRIDAY_4PM + HOUR, { from: { kind: 'phone', address: '+14155550199' } }))
      await waitFor(() => toSupervisor!.length > 0 && toAgent!.length > 0, 'both pokes')
      const entities = (pokes: Poke[]) => pokes.flatMap((p) => p.changes.map((c) => c.entity))
      expect(entities(toSupervisor!)).toContain('reportingEvent')
      expect(entities(toAgent!)).not.toContain('reportingEvent')
      expect(entities(toAgent!)).toContain('message')
      expect(toAgent!.at(-1)?.cursor).toBe(toSupervisor!.at(-1)?.cursor)
    } finally {
      for (const { socket } of live) socket.close()
    }
  })

  it('come to a first sync that asks for them as blocks of their fields, the same events, page by page', async () => {
    t = await startTestServer(config())
    const { user: agent } = await userWithToken(t.server, 'Ana')
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const agentToken = (await userWithToken(t.server, 'Abe')).token
    const first = await t.server.ingest(sms(1, FRIDAY_4PM))
    const act = (mutation: Parameters<TestServer['server']['applyMutation']>[1], at: number) => t!.server.applyMutation(agent, mutation, undefined, { at })
    expect((await act({ name: 'reply', args: { messageId: 'r-rows', conversationId: first.conversationId, text: 'On its way.' } }, MONDAY_10AM)).outcome).toBe('applied')
    expect((await act({ name: 'setStatus', args: { conversationId: first.conversationId, status: 'resolved' } }, MONDAY_10AM + HOUR)).outcome).toBe('applied')
    await t.server.ingest(sms(2, MONDAY_10AM + 2 * HOUR))

    const asChanges = await pulled(supervisor.token)
    expect(asChanges.map((e) => e.kind)).toEqual(['conversation_created', 'first_response', 'reply', 'resolved', 'reopened'])
    expect(await pulled(supervisor.token, { eventBlock: true })).toEqual(asChanges)
    // Pages of two changes: blocks and changes share pages, each event still comes once.
    expect(await pulled(supervisor.token, { eventBlock: true, limit: 2 })).toEqual(asChanges)
    expect(await pulled(agentToken, { eventBlock: true })).toEqual([])
  })

  it('stay when their customer is erased, without saying whose they were, in the change log too', async () => {
    t = await startTestServer(config())
    const admin = await userWithToken(t.server, 'Ada', { role: 'admin' })
    const first = await t.server.ingest(sms(1, FRIDAY_4PM))
    const reply = { name: 'reply' as const, args: { messageId: 'r-erased', conversationId: first.conversationId, text: 'Looking into it.' } }
    expect((await t.server.applyMutation(admin.user, reply, undefined, { at: MONDAY_10AM })).outcome).toBe('applied')
    expect((await pulled(admin.token)).map((e) => [e.kind, e.customerId])).toEqual([
      ['conversation_created', first.customerId],
      ['first_response', first.customerId],
      ['reply', first.customerId],
    ])
    const erased = await api(t.server.url, 'POST', `/api/v1/customers/${first.customerId}/erase`, { token: admin.token, body: {} })
    expect(erased.status).toBe(200)
    expect((await pulled(admin.token)).map((e) => [e.kind, e.conversationId, e.customerId])).toEqual([
      ['conversation_created', first.conversationId, null],
      ['first_response', first.conversationId, null],
      ['reply', first.conversationId, null],
    ])

    // Restored, their conversation and messages come back; what happened to them is not recorded twice.
    const restored = await api(t.server.url, 'POST', `/api/v1/customers/${first.customerId}/restore`, { token: admin.token, body: {} })
    expect(restored.status).toBe(200)
    expect(await pulled(admin.token)).toHaveLength(3)
  })
})
