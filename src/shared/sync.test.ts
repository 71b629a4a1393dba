import { describe, expect, it } from 'vitest'
import { blockEvents, eventBlock } from './reporting/event-columns'
import type { ReportingEvent } from './reporting/events'
import { parseChange, PullResponse } from './sync'

const event = {
  id: 'e1',
  kind: 'reply',
  conversationId: 'c1',
  customerId: 'k1',
  inbox: 'Support email',
  channel: 'email',
  team: null,
  agentId: 'u1',
  at: 1_760_000_000_000,
  calendarMs: 60_000,
  businessMs: 60_000,
  afterHours: false,
  fromChannel: null,
  rating: null,
  slaTarget: null,
}
const upsert = { seq: 7, entity: 'reportingEvent', id: 'e1', op: 'upsert', data: event }

describe('parseChange', () => {
  it("gives an upsert's entity as its schema reads it", () => {
    expect(parseChange(upsert)).toEqual(upsert)
  })

  it('refuses data that is not an object, naming the field', () => {
    for (const data of [[event], 'e1', 42]) expect(() => parseChange({ ...upsert, data })).toThrow(/data[\s\S]*expected an object/)
  })

  it("refuses an entity its schema does not accept, naming the field", () => {
    expect(() => parseChange({ ...upsert, data: { ...event, at: 'yesterday' } })).toThrow(/at/)
    const { kind: _kind, ...withoutKind } = event
    expect(() => parseChange({ ...upsert, data: withoutKind })).toThrow(/kind/)
  })

  it('takes a delete without data, and refuses one with it', () => {
    expect(parseChange({ ...upsert, op: 'delete', data: null }).data).toBeNull()
    expect(() => parseChange({ ...upsert, op: 'delete' })).toThrow(/a delete carries no data/)
  })

  it('refuses an upsert without data', () => {
    expect(() => parseChange({ ...upsert, data: null })).toThrow()
  })
})

describe('a pull page with reporting events as one block', () => {
  const block = eventBlock([event as ReportingEvent, { ...(event as ReportingEvent), id: 'e2', rating: 5 }])
  const page = (eventBlock: unknown) => ({ changes: [], eventBlock, cursor: 7, hasMore: false })

  it('takes a block whose every value its field accepts, a repeated value sent once', () => {
    expect(PullResponse.parse(page(block)).eventBlock).toEqual(block)
    expect(block.conversationId).toEqual({ values: ['c1'], of: [0, 0] })
    expect(block.id).toEqual(['e1', 'e2'])
    expect(blockEvents(block)).toEqual([event, { ...event, id: 'e2', rating: 5 }])
  })

  it('refuses a value its field rejects, a field missing or one value too few, naming where', () => {
    expect(() => PullResponse.parse(page({ ...block, rating: [null, 9] }))).toThrow(/eventBlock[\s\S]*rating[\s\S]*1/)
    expect(() => PullResponse.parse(page({ ...block, kind: { values: ['lunch'], of: [0, 0] } }))).toThrow(/eventBlock[\s\S]*kind[\s\S]*values[\s\S]*0/)
    expect(() => PullResponse.parse(page({ ...block, inbox: { values: ['Support email'], of: [0, 1] } }))).toThrow(/names one of the values/)
    for (const of of [[0, '0'], [0, 0.5], [0, null]]) expect(() => PullResponse.parse(page({ ...block, inbox: { values: ['Support email', 'Sales'], of } }))).toThrow(/names one of the values/)
    expect(() => PullResponse.parse(page({ ...block, inbox: { values: ['Support email'], of: '00' } }))).toThrow(/expected a list of positions/)
    const { slaTarget: _, ...withoutSlaTarget } = block
    expect(() => PullResponse.parse(page(withoutSlaTarget))).toThrow(/eventBlock[\s\S]*slaTarget/)
    expect(() => PullResponse.parse(page({ ...block, at: [1] }))).toThrow(/one value per event/)
    expect(() => PullResponse.parse(page({ ...block, team: { values: [null], of: [0] } }))).toThrow(/one value per event/)
    expect(() => PullResponse.parse(page({ ...block, id: ['e1', 'e1'] }))).toThrow(/each event once/)
  })
})
