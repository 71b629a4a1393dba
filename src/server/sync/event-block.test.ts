import { describe, expect, it } from 'vitest'
import { blockEvents, eventBlock } from '../../shared/reporting/event-block'
import type { ReportingEvent } from '../../shared/reporting/events'
import { PullResponse, unpackPullResponse, type Change } from '../../shared/sync'
import { withEventBlock } from './event-block'

const event = (id: string, customerId: string | null): ReportingEvent => ({
  id,
  kind: 'reply',
  conversationId: 'conversation-1',
  customerId,
  inbox: 'sms-main',
  channel: 'sms',
  team: null,
  agentId: null,
  at: 1_000,
  calendarMs: 60_000,
  businessMs: 60_000,
  afterHours: false,
  fromChannel: null,
  rating: null,
  slaTarget: null,
})
const upsert = (seq: number, data: ReportingEvent): Change => ({ seq, entity: 'reportingEvent', id: data.id, op: 'upsert', data })

describe('a pull page with its reporting events as one block', () => {
  it('moves each event changed once out of the changes, and leaves an event changed twice as its changes, in order', () => {
    const message: Change = { seq: 2, entity: 'message', id: 'message-1', op: 'upsert', data: { id: 'message-1' } }
    const once = event('event-1', 'customer-1')
    const twice = event('event-2', 'customer-1')
    const changes: Change[] = [upsert(1, once), message, upsert(3, twice), { seq: 4, entity: 'reportingEvent', id: 'event-2', op: 'delete', data: null }]
    const sent = withEventBlock({ changes, cursor: 4, hasMore: false })
    // Packed: what socket.io sees is two runs of bytes, not the page's objects.
    expect(Object.values(sent).every((v) => v instanceof Uint8Array)).toBe(true)
    const page = PullResponse.parse(unpackPullResponse(sent))
    expect(page.eventBlock).toEqual(eventBlock([once]))
    expect(blockEvents(page.eventBlock!)).toEqual([once])
    expect(page.changes.map((c) => c.seq)).toEqual([2, 3, 4])
    expect(page.cursor).toBe(4)
  })

  it('leaves a page without reporting events as it was', () => {
    const page = { changes: [{ seq: 1, entity: 'user' as const, id: 'u', op: 'delete' as const, data: null }], cursor: 1, hasMore: true }
    expect(withEventBlock(page)).toBe(page)
  })
})
