import { describe, expect, it } from 'vitest'
import { packEventBlock } from './reporting/event-block'
import { parseChange, PullResponse, unpackPullResponse } from './sync'

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

describe('a packed pull response', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
  const block = packEventBlock([])

  it('reads its page out of its bytes beside its event block', () => {
    const page = PullResponse.parse(unpackPullResponse({ page: bytes('{"changes":[],"cursor":7,"hasMore":true}'), eventBlock: block }))
    expect(page).toMatchObject({ changes: [], cursor: 7, hasMore: true })
    expect(page.eventBlock?.length).toBe(0)
  })

  it('refuses a page that is not JSON, or is JSON but no page, and leaves any other response for the schema to judge', () => {
    expect(() => unpackPullResponse({ page: bytes('{"changes":['), eventBlock: block })).toThrow(/page is not JSON/)
    expect(() => PullResponse.parse(unpackPullResponse({ page: bytes('[1]'), eventBlock: block }))).toThrow(/expected object/)
    const plain = { changes: [], cursor: 1, hasMore: false }
    expect(unpackPullResponse(plain)).toBe(plain)
    expect(() => PullResponse.parse(unpackPullResponse({ page: 'text', eventBlock: block }))).toThrow(/changes/)
  })
})
