import { describe, expect, it } from 'vitest'
import type { ConversationSla, SlaClock } from '../../../shared/reporting/sla'
import { ago, slaBadge, span } from './sla'

const MINUTE = 60_000
const NOW = Date.UTC(2026, 2, 9, 12)
const clock = (state: SlaClock['state'], dueAt: number | null): SlaClock => ({ startedAt: 0, dueAt, state, remainingMs: state === 'paused' ? MINUTE : null })
const sla = (firstResponse: SlaClock | null, resolution: SlaClock | null = null): ConversationSla => ({ policy: 'P', replied: false, firstResponse, nextResponse: null, resolution })

describe('the inbox row’s SLA badge', () => {
  it('counts down to the target due soonest, amber in its last hour', () => {
    expect(slaBadge(sla(clock('active', NOW + 12 * MINUTE), clock('active', NOW + 300 * MINUTE)), 'open', NOW)).toEqual({
      text: 'due in 12 min',
      tone: 'soon',
      title: 'SLA first response due in 12 min',
    })
    expect(slaBadge(sla(null, clock('active', NOW + 125 * MINUTE)), 'open', NOW)).toMatchObject({ text: 'due in 2 h', tone: 'ok' })
  })

  it('says how long ago a target was breached, before anything due later, even once resolved', () => {
    expect(slaBadge(sla(clock('breached', NOW - 5 * MINUTE), clock('active', NOW + MINUTE)), 'open', NOW)).toMatchObject({ text: 'breached 5 min ago', tone: 'breached' })
    expect(slaBadge(sla(clock('breached', NOW - 5 * MINUTE)), 'resolved', NOW)).toMatchObject({ tone: 'breached' })
    // Past due, before the server's next check marks it.
    expect(slaBadge(sla(clock('active', NOW - 30_000)), 'open', NOW)).toMatchObject({ text: 'breached 1 min ago', tone: 'breached' })
  })

  it('shows paused and met quietly, and nothing without a policy or once resolved with every target met', () => {
    expect(slaBadge(sla(clock('paused', null)), 'pending', NOW)).toMatchObject({ text: 'paused', tone: 'paused' })
    expect(slaBadge(sla(clock('achieved', NOW)), 'open', NOW)).toMatchObject({ text: 'met', tone: 'met' })
    expect(slaBadge(sla(clock('achieved', NOW)), 'resolved', NOW)).toBeNull()
    expect(slaBadge(null, 'open', NOW)).toBeNull()
  })

  it('says how long ago in whole units passed', () => {
    expect([ago(30_000), ago(59 * MINUTE + 59_000), ago(61 * MINUTE), ago(26 * 60 * MINUTE)]).toEqual(['1 min', '59 min', '1 h', '1 d'])
  })

  it('writes spans in minutes, hours and days', () => {
    expect([span(30_000), span(59 * MINUTE), span(60 * MINUTE), span(65 * MINUTE), span(150 * MINUTE), span(26 * 60 * MINUTE), span(50 * 60 * MINUTE)]).toEqual([
      '1 min',
      '59 min',
      '1 h',
      '1 h 5 min',
      '2 h',
      '1 d 2 h',
      '2 d',
    ])
  })
})
