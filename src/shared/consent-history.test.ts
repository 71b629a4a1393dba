import { describe, expect, it } from 'vitest'
import type { TimelineEvent } from './domain'
import { consentHistory } from './consent-history'

const event = (id: string, type: TimelineEvent['type'], data: Record<string, unknown>, createdAt: number): TimelineEvent => ({
  id,
  conversationId: 'v1',
  customerId: 'c1',
  type,
  actorId: null,
  data,
  createdAt,
})

describe('consent history', () => {
  it('lists one record per key, newest first, with where each decision came from', () => {
    const history = consentHistory([
      event('e1', 'consent_changed', { channel: 'sms', keyword: 'STOP', messageId: 'm1', actor: 'connector:twilio-sms:SMS', changes: { sms: false, promotional: false }, previous: { sms: true }, saidAt: 100 }, 105),
      event('e2', 'consent_changed', { via: 'agent', note: 'on a call', actor: 'user:u1', actorName: 'Alex', changes: { promotional: true }, previous: { promotional: false }, saidAt: 300 }, 300),
      event('e3', 'consent_changed', { actor: 'integration:crm', actorName: 'CRM', changes: { email: true } }, 200),
      event('e4', 'assigned', { to: 'u1' }, 400),
    ])
    expect(history.map((r) => [r.eventId, r.key, r.value, r.previous, r.source])).toEqual([
      ['e2', 'promotional', true, false, 'agent'],
      ['e3', 'email', true, null, 'integration'],
      ['e1', 'sms', false, true, 'keyword'],
      ['e1', 'promotional', false, null, 'keyword'],
    ])
    expect(history[0]).toMatchObject({ note: 'on a call', actorName: 'Alex', channel: null, at: 300 })
    expect(history[2]).toMatchObject({ keyword: 'STOP', channel: 'sms', messageId: 'm1', at: 100, recordedAt: 105 })
    // An event written before decisions carried their time counts from when it was stored.
    expect(history[1]?.at).toBe(200)
  })

  it('keeps a request that came late and changed nothing, marked as not applied, at the time the customer made it', () => {
    const [record] = consentHistory([
      event('e1', 'consent_superseded', { channel: 'sms', keyword: 'STOP', requested: { sms: false }, requestedAt: 50, supersededBy: { sms: { value: true, at: 90 } } }, 120),
    ])
    expect(record).toMatchObject({ key: 'sms', value: false, applied: false, previous: null, at: 50, source: 'keyword' })
  })

  it('reads malformed fields as absent rather than failing the whole history', () => {
    const [record] = consentHistory([event('e1', 'consent_changed', { via: 'fax', channel: 7, changes: { sms: true } }, 10)])
    expect(record).toMatchObject({ key: 'sms', value: true, source: 'channel', channel: null })
  })
})
