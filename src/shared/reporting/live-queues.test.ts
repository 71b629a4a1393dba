import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CHANNELS, CONVERSATION_STATUSES } from '../domain-values'
import { computeLiveQueues, liveFigureConversations, QUEUE_STATES, SLA_AT_RISK_MS, type QueuedConversation } from './live-queues'

const T = Date.UTC(2026, 11, 1, 9)

const conversation = (id: string, extra: Partial<QueuedConversation> = {}): QueuedConversation => ({
  id,
  customerId: `cust-${id}`,
  channel: 'email',
  inbox: 'Support',
  team: null,
  status: 'open',
  assigneeId: null,
  waitingSince: null,
  slaDueAt: null,
  ...extra,
})

describe('live queues', () => {
  it('counts open, unassigned, pending, snoozed and waiting conversations per channel, inbox and team, leaving resolved ones out', () => {
    const queues = computeLiveQueues(
      [
        conversation('a', { waitingSince: T }),
        conversation('b', { assigneeId: 'u1', waitingSince: T - 60_000, channel: 'sms', team: 'Billing' }),
        conversation('c', { status: 'pending', assigneeId: 'u1', team: 'Billing' }),
        conversation('d', { status: 'snoozed', inbox: 'Sales' }),
        conversation('e', { status: 'resolved', waitingSince: T - 999_999 }),
      ],
      T + 1,
    )
    expect(queues.totals).toEqual({ open: 2, unassigned: 1, pending: 1, snoozed: 1, waiting: 2, longestWaitSince: T - 60_000, slaAtRisk: 0, slaBreached: 0 })
    expect(queues.byChannel.map((r) => r.key)).toEqual([...CHANNELS])
    expect(queues.byChannel.find((r) => r.key === 'sms')?.counts).toMatchObject({ open: 1, unassigned: 0, waiting: 1 })
    expect(queues.byChannel.find((r) => r.key === 'voice')?.counts).toMatchObject({ open: 0, waiting: 0, longestWaitSince: null })
    expect(queues.byInbox.map((r) => [r.key, r.counts.open, r.counts.snoozed])).toEqual([
      ['Sales', 0, 1],
      ['Support', 2, 0],
    ])
    expect(queues.byTeam.map((r) => [r.key, r.counts.open, r.counts.pending])).toEqual([
      ['', 1, 0],
      ['Billing', 1, 1],
    ])
    // Longest first: who has waited since 08:59 before who has waited since 09:00.
    expect(queues.longestWaits.map((w) => [w.conversationId, w.since, w.assigneeId])).toEqual([
      ['b', T - 60_000, 'u1'],
      ['a', T, null],
    ])
  })

  it('counts conversations at risk of an SLA breach within the hour and those breached, whatever their status but resolved', () => {
    const queues = computeLiveQueues(
      [
        conversation('a', { slaDueAt: T - 1 }),
        conversation('b', { slaDueAt: T, status: 'pending', team: 'Billing' }),
        conversation('c', { slaDueAt: T + 1 }),
        conversation('d', { slaDueAt: T + SLA_AT_RISK_MS, status: 'snoozed', team: 'Billing' }),
        conversation('e', { slaDueAt: T + SLA_AT_RISK_MS + 1 }),
        conversation('f', { slaDueAt: T - 1, status: 'resolved' }),
      ],
      T,
    )
    expect(queues.totals).toMatchObject({ slaBreached: 2, slaAtRisk: 2 })
    expect(queues.byTeam.find((r) => r.key === 'Billing')?.counts).toMatchObject({ slaBreached: 1, slaAtRisk: 1 })
  })

  it('opens the conversations behind each number: exactly as many as it counts', () => {
    const arbitraryConversation = fc.record({
      id: fc.uuid(),
      customerId: fc.constant('c'),
      channel: fc.constantFrom(...CHANNELS),
      inbox: fc.constantFrom('Support', 'Sales'),
      team: fc.constantFrom(null, 'Billing', 'Returns'),
      status: fc.constantFrom(...CONVERSATION_STATUSES),
      assigneeId: fc.constantFrom(null, 'u1', 'u2'),
      waitingSince: fc.option(fc.integer({ min: T - 86_400_000, max: T }), { nil: null }),
      slaDueAt: fc.option(fc.integer({ min: T - 3_600_000, max: T + 2 * SLA_AT_RISK_MS }), { nil: null }),
    })
    fc.assert(
      fc.property(fc.uniqueArray(arbitraryConversation, { selector: (c) => c.id, maxLength: 60 }), (conversations) => {
        const queues = computeLiveQueues(conversations, T)
        for (const state of QUEUE_STATES) {
          expect(liveFigureConversations(conversations, { dimension: 'all', key: '', state }, T)).toHaveLength(queues.totals[state])
          for (const row of queues.byTeam) {
            expect(liveFigureConversations(conversations, { dimension: 'team', key: row.key, state }, T)).toHaveLength(row.counts[state])
          }
          const perChannel = queues.byChannel.reduce((sum, row) => sum + row.counts[state], 0)
          expect(perChannel).toBe(queues.totals[state])
        }
      }),
    )
  })
})
