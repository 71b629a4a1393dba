import { afterEach, describe, expect, it } from 'vitest'
import type { ServerConfig } from '../../src/server/server'
import type { Conversation } from '../../src/shared/domain'
import type { ReportingEvent } from '../../src/shared/reporting/events'
import type { InboundMessage } from '../../src/shared/ingest'
import type { PullResponse } from '../../src/shared/sync'
import { connectClient, startTestServer, userWithToken, waitFor, type TestServer } from './server-fixtures'
import { webhookInboxes } from './support/webhook-inboxes'

/**
 * SLA clocks moved by the server on real ingest and mutation paths, and the breach service
 * marking a target that passed while nobody wrote the conversation.
 */

let t: TestServer | null = null
afterEach(async () => {
  await t?.cleanup()
  t = null
})

const MINUTE = 60_000
/** Friday 27 November 2026, 16:30 UTC. */
const FRIDAY_430PM = Date.UTC(2026, 10, 27, 16, 30)
/** Monday 30 November 2026, 09:00 UTC. */
const MONDAY_9AM = Date.UTC(2026, 10, 30, 9)

/**
 * The SMS inbox works Monday to Friday, 09:00–17:00 UTC; WhatsApp every hour of every day but one
 * long-gone holiday, so its business time runs now, whenever the test runs, through the same
 * calendar code.
 */
function config(): Partial<ServerConfig> {
  const base = webhookInboxes()
  const weekday = [{ from: '09:00', to: '17:00' }]
  const allDay = [{ from: '00:00', to: '24:00' }]
  const hours = (name: string) =>
    name === 'sms-main'
      ? { timeZone: 'UTC', week: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday }, holidays: [] }
      : name === 'wa-main'
        ? { timeZone: 'Europe/London', week: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay }, holidays: ['2001-01-01'] }
        : undefined
  return {
    ...base,
    inboxes: (base.inboxes ?? []).map((inbox) => ({ ...inbox, businessHours: hours(inbox.name) })),
    slaPolicies: [
      { name: 'SMS', inboxes: ['sms-main'], firstResponseMinutes: 60, resolutionMinutes: 480 },
      { name: 'WhatsApp', inboxes: ['wa-main'], firstResponseMinutes: 1 },
    ],
    slaCheckMs: 50,
  } as Partial<ServerConfig>
}

const inbound = (n: number, inbox: 'sms-main' | 'wa-main', sentAt: number): InboundMessage => ({
  channel: inbox === 'sms-main' ? 'sms' : 'whatsapp',
  inbox,
  externalId: `SLA-${n}`,
  from: inbox === 'sms-main' ? { kind: 'phone', address: '+14155550101' } : { kind: 'whatsapp', address: '14155550102' },
  text: `Message ${n}: where is my order?`,
  sentAt,
})

/** What the token's user may pull from the start: each conversation as it is now, and the reporting events. */
async function pulled(token: string): Promise<{ conversations: Map<string, Conversation>; events: ReportingEvent[] }> {
  const { socket } = await connectClient(t!.server.url, token)
  try {
    const conversations = new Map<string, Conversation>()
    const events: ReportingEvent[] = []
    let after = 0
    for (;;) {
      const page = (await socket.emitWithAck('pull', { after, limit: 1000 })) as PullResponse
      for (const c of page.changes) {
        if (c.entity === 'reportingEvent' && c.data) events.push(c.data as ReportingEvent)
        if (c.entity === 'conversation' && c.data) conversations.set(c.id, c.data as Conversation)
      }
      after = page.cursor
      if (!page.hasMore) return { conversations, events }
    }
  } finally {
    socket.close()
  }
}

describe('SLA', () => {
  it('achieves a first response given in business time over a weekend, and records a resolution that passed unmet at the next write', async () => {
    // No check during the test: the breach here is found by an ordinary write.
    t = await startTestServer({ ...config(), slaCheckMs: 3_600_000 })
    const { user: agent } = await userWithToken(t.server, 'Ana')
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    const { conversationId } = await t.server.ingest(inbound(1, 'sms-main', FRIDAY_430PM), undefined, { at: FRIDAY_430PM })
    // Friday 16:30 + 60 business minutes: Monday 09:30; 65 hours on the calendar, 50 minutes of business time.
    const reply = { name: 'reply', args: { messageId: 'r1', conversationId, text: 'On its way.' } } as const
    expect((await t.server.applyMutation(agent, reply, undefined, { at: MONDAY_9AM + 20 * MINUTE })).outcome).toBe('applied')
    const answered = (await pulled(supervisor.token)).conversations.get(conversationId)?.sla
    expect(answered?.firstResponse).toMatchObject({ state: 'achieved', dueAt: MONDAY_9AM + 30 * MINUTE })
    expect(answered?.resolution).toMatchObject({ state: 'active', dueAt: MONDAY_9AM + 7.5 * 60 * MINUTE })

    // The resolution's 8 business hours ended on Monday at 16:30; the agent sets it pending on Tuesday.
    const pending = { name: 'setStatus', args: { conversationId, status: 'pending' } } as const
    expect((await t.server.applyMutation(agent, pending, undefined, { at: MONDAY_9AM + 25 * 60 * MINUTE })).outcome).toBe('applied')
    const { conversations, events } = await pulled(supervisor.token)
    expect(conversations.get(conversationId)?.sla?.resolution?.state).toBe('breached')
    expect(events.filter((e) => e.kind === 'sla_breached')).toMatchObject([
      { conversationId, slaTarget: 'resolution', at: MONDAY_9AM + 7.5 * 60 * MINUTE, inbox: 'sms-main', afterHours: false },
    ])
  })

  it('marks a first response breached when its target passes while nobody writes, and records it once', async () => {
    t = await startTestServer(config())
    const supervisor = await userWithToken(t.server, 'Sol', { role: 'supervisor' })
    // Written 58 seconds ago: the one-minute target passes two seconds from now.
    const { conversationId } = await t.server.ingest(inbound(2, 'wa-main', Date.now() - 58_000))
    const started = (await pulled(supervisor.token)).conversations.get(conversationId)?.sla
    expect(started?.firstResponse?.state).toBe('active')
    const dueAt = started!.firstResponse!.dueAt!

    const breached = await waitFor(async () => {
      const { conversations, events } = await pulled(supervisor.token)
      return conversations.get(conversationId)?.sla?.firstResponse?.state === 'breached' ? events : null
    }, 'the first response to be marked breached', 10_000)
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt)
    expect(breached.filter((e) => e.kind === 'sla_breached')).toMatchObject([{ conversationId, slaTarget: 'first_response', at: dueAt, channel: 'whatsapp' }])
    // Later checks find nothing more to do.
    await new Promise((r) => setTimeout(r, 200))
    expect((await pulled(supervisor.token)).events.filter((e) => e.kind === 'sla_breached')).toHaveLength(1)
  })
})
