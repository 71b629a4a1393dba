import { v7 } from 'uuid'
import { describe, expect, it } from 'vitest'
import { PullResponse } from '../sync'
import { blockEvents, blockIdRange, blockLayout, eventBlock, packEventBlock, readEventBlock, readKeptEventBlock } from './event-block'
import type { ReportingEvent } from './events'

const event = (id: string, over: Partial<ReportingEvent> = {}): ReportingEvent => ({
  id,
  kind: 'reply',
  conversationId: 'c1',
  customerId: 'k1',
  inbox: 'Support email',
  channel: 'email',
  team: null,
  agentId: 'u1',
  at: 1_760_000_000_000,
  calendarMs: 60_000,
  businessMs: 45_000,
  afterHours: false,
  fromChannel: null,
  rating: null,
  slaTarget: null,
  ...over,
})

const events = [
  event(v7()),
  event(v7(), { kind: 'csat_answered', rating: 5, calendarMs: null, businessMs: null, afterHours: true, customerId: null }),
  event(v7(), { kind: 'channel_switched', channel: 'sms', fromChannel: 'email', conversationId: 'c2', team: 'Billing', at: 1_760_000_000_001 }),
  event(v7(), { kind: 'sla_breached', slaTarget: 'resolution', agentId: null, calendarMs: 0 }),
]

const headerOf = (bytes: Uint8Array): { length: number; ids?: string[]; values: Record<string, unknown[]> } => {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)
  return JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length))) as never
}

/** Where each field's array begins in `bytes`. */
const placesIn = (bytes: Uint8Array) => {
  const header = headerOf(bytes)
  return blockLayout(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true), header.length, header.ids === undefined)
}

/** The same block with its header changed: the arrays after it move to the next multiple of 8. */
function withHeader(bytes: Uint8Array, change: (header: ReturnType<typeof headerOf>) => unknown): Uint8Array {
  const body = bytes.subarray(placesIn(bytes).at)
  const header = new TextEncoder().encode(JSON.stringify(change(headerOf(bytes))))
  const start = Math.ceil((4 + header.length) / 8) * 8
  const out = new Uint8Array(start + body.length)
  new DataView(out.buffer).setUint32(0, header.length, true)
  out.set(header, 4)
  out.set(body, start)
  return out
}

const copy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes)

describe('an event block as bytes', () => {
  it('gives back every event as it was, nulls and all, a repeated value listed once', () => {
    const block = readEventBlock(packEventBlock(events))
    expect(blockEvents(block)).toEqual(events)
    expect(block.conversationId.values).toEqual(['c1', 'c2'])
    expect([...block.conversationId.of]).toEqual([0, 0, 1, 0])
    expect(block.inbox.values).toEqual(['Support email'])
    expect(block.id).toEqual(events.map((e) => e.id))
    // As the cache reads back a block it kept: the same block, its values not checked again.
    expect(readKeptEventBlock(block.bytes)).toEqual(block)
  })

  it("keeps UUIDs as their 16 bytes, and lists other ids as text so each comes back exactly", () => {
    const many = Array.from({ length: 1000 }, (_, i) => event(v7(), { conversationId: `c${i % 300}`, at: 1_760_000_000_000 + i * 1_000 }))
    const bytes = packEventBlock(many)
    expect(headerOf(bytes).ids).toBeUndefined()
    expect(bytes.length / many.length).toBeLessThan(80)
    expect(blockEvents(readEventBlock(bytes))).toEqual(many)

    const upper = events[0]!.id.toUpperCase()
    const others = [event('e1'), event(upper), event('ticket #7 · événement')]
    const listed = packEventBlock(others)
    expect(headerOf(listed).ids).toEqual(['e1', upper, 'ticket #7 · événement'])
    expect(blockEvents(readEventBlock(listed))).toEqual(others)
  })

  it('reads bytes that begin anywhere in a larger buffer, as a socket delivers them', () => {
    const bytes = packEventBlock(events)
    for (let offset = 1; offset < 8; offset++) {
      const pool = new Uint8Array(offset + bytes.length)
      pool.set(bytes, offset)
      expect(blockEvents(readEventBlock(pool.subarray(offset)))).toEqual(events)
    }
  })

  it('gives the lowest and the highest id in the order of their text, whatever order the events come in', () => {
    const ids = Array.from({ length: 200 }, () => v7())
    const shuffled = [...ids].sort(() => Math.random() - 0.5)
    for (const list of [shuffled, ['0190f0a2-7c4e-7d3b-9f10-2b7d5c1e8a01', 'ffffffff-0000-7000-8000-000000000000', '00000000-ffff-7fff-bfff-ffffffffffff']]) {
      const sorted = [...list].sort()
      expect(blockIdRange(eventBlock(list.map((id) => event(id))))).toEqual([sorted[0], sorted[sorted.length - 1]])
    }
    expect(blockIdRange(eventBlock(['e2', 'e10', 'e1'].map((id) => event(id))))).toEqual(['e1', 'e2'])
  })

  it('holds an empty page', () => {
    expect(blockEvents(eventBlock([]))).toEqual([])
  })

  it('refuses bytes cut short or run on, a header that is not JSON, and anything that is not bytes', () => {
    const bytes = packEventBlock(events)
    expect(() => readEventBlock(bytes.subarray(0, bytes.length - 1))).toThrow(/takes \d+ bytes; this one has \d+/)
    expect(() => readEventBlock(new Uint8Array([...bytes, 0]))).toThrow(/takes \d+ bytes/)
    expect(() => readEventBlock(bytes.subarray(0, 2))).toThrow(/begins with the length of its header/)
    const broken = copy(bytes)
    broken[4] = '{'.charCodeAt(0) + 1
    expect(() => readEventBlock(broken)).toThrow(/header is not JSON/)
    const page = (eventBlock: unknown) => ({ changes: [], eventBlock, cursor: 7, hasMore: false })
    expect(() => PullResponse.parse(page({ id: ['e1'] }))).toThrow(/eventBlock[\s\S]*expected an event block as bytes/)
    expect(() => PullResponse.parse(page(bytes.subarray(1)))).toThrow(/eventBlock/)
    expect(blockEvents(PullResponse.parse(page(bytes)).eventBlock!)).toEqual(events)
  })

  it("refuses a value its field's schema rejects, naming the field and the event", () => {
    const bytes = packEventBlock(events)
    const at = placesIn(bytes)
    const wrong = (edit: (b: Uint8Array) => void): (() => unknown) => {
      const b = copy(bytes)
      edit(b)
      return () => readEventBlock(b)
    }
    const float = (offset: number, i: number, v: number) => (b: Uint8Array) => new DataView(b.buffer).setFloat64(offset + 8 * i, v, true)
    expect(wrong(float(at.at, 1, 0.5))).toThrow(/event 1 of a block: at is not a time in epoch milliseconds/)
    expect(wrong(float(at.at, 0, NaN))).toThrow(/event 0 of a block: at is not/)
    expect(wrong(float(at.calendarMs, 2, -1))).toThrow(/event 2 of a block: calendarMs is not a whole number of milliseconds/)
    expect(wrong(float(at.businessMs, 3, Infinity))).toThrow(/event 3 of a block: businessMs is not/)
    expect(wrong((b) => (b[at.afterHours + 1] = 2))).toThrow(/event 1 of a block: afterHours is not true or false/)
    expect(wrong((b) => (b[at.rating + 2] = 9))).toThrow(/event 2 of a block: rating is not from 1 to 5/)
    expect(wrong((b) => (b[at.rating + 2] = 0))).toThrow(/rating/)
    // The second field's positions (conversationId) name one of two values.
    expect(wrong((b) => new DataView(b.buffer).setUint16(at.positions + 2 * events.length + 2 * 3, 2, true))).toThrow(
      /event 3 of a block: conversationId names none of the block's values/,
    )
    expect(() => readEventBlock(withHeader(bytes, (h) => ({ ...h, values: { ...h.values, kind: ['lunch', 'x', 'y', 'z'] } })))).toThrow(/header[\s\S]*kind/)
    expect(() => readEventBlock(withHeader(bytes, (h) => ({ ...h, values: { ...h.values, channel: undefined } })))).toThrow(/header[\s\S]*channel/)
    expect(() => readEventBlock(withHeader(bytes, (h) => ({ ...h, length: 3 })))).toThrow(/takes \d+ bytes/)
    expect(() => readEventBlock(withHeader(bytes, (h) => ({ ...h, length: 70_000 })))).toThrow(/header[\s\S]*length/)
  })

  it('refuses an event listed twice, and ids listed for fewer events than the block holds', () => {
    const id = v7()
    expect(() => readEventBlock(packEventBlock([event(id), event(id, { rating: 4 })]))).toThrow(/lists each event once/)
    expect(() => readEventBlock(packEventBlock([event('e1'), event('e1')]))).toThrow(/lists each event once/)
    const listed = packEventBlock([event('e1'), event('e2')])
    expect(() => readEventBlock(withHeader(listed, (h) => ({ ...h, ids: ['e1'] })))).toThrow(/lists 1 ids/)
  })
})
