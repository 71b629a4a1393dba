import { z } from 'zod'
import { eventOfRow, NONE, type EventRow } from './event-columns'
import { ReportingEvent } from './events'

/**
 * A page's reporting events as one block of bytes: how a first sync receives them
 * (`PullResponse.eventBlock`, a binary attachment of the socket's message) and how a
 * supervisor's cache keeps them (core/db/event-blocks.ts), unchanged between the two.
 *
 * A supervisor's cache takes about one event for every message. As JSON, a block's numbers and
 * ids were most of what the server wrote and the client parsed, checked one by one and wrote
 * again to keep; here they are arrays of numbers, checked in a loop each and kept as they came.
 * A field whose values repeat (a kind, an inbox, the conversation of several events) lists each
 * value once and, per event, the position of its own.
 *
 * The bytes: the length of a JSON header (Uint32), the header (the events' count, each repeating
 * field's values, and the ids when not every one is a UUID as the server writes them), then, from
 * the next multiple of 8, one array per field in the platform's byte order (little-endian on x64
 * and arm64, where Threadline runs):
 * `at`, `calendarMs` and `businessMs` as Float64 (NaN for none); each repeating field's positions
 * as Uint16; `afterHours` and `rating` as Uint8 (NONE for none); and each id as its 16 bytes.
 */

/** The fields whose values repeat from event to event, in the order of their positions in the bytes. */
const CODED_FIELDS = ['kind', 'conversationId', 'customerId', 'inbox', 'channel', 'team', 'agentId', 'fromChannel', 'slaTarget'] as const
type CodedField = (typeof CODED_FIELDS)[number]

/** Positions are Uint16: a page holds at most 10,000 changes (shared/sync.ts). */
export const MAX_BLOCK_EVENTS = 65_535

const field = ReportingEvent.shape

const Header = z.strictObject({
  length: z.number().int().nonnegative().max(MAX_BLOCK_EVENTS),
  /** Present when some id is not a UUID in lower case; otherwise the ids are the bytes' last part. */
  ids: z.array(field.id).optional(),
  values: z.strictObject(Object.fromEntries(CODED_FIELDS.map((f) => [f, z.array(field[f])])) as { [F in CodedField]: z.ZodArray<(typeof field)[F]> }),
})

export type EventBlock = {
  /** The block as it was sent, and as the cache keeps it. */
  readonly bytes: Uint8Array
  /** How many events it holds. */
  readonly length: number
  /** Written out when first read: a first sync keeps the bytes and needs only the lowest and highest id (`blockIdRange`). */
  readonly id: readonly string[]
  /** The ids as their 16 bytes each, when every one is a UUID as the server writes them. */
  readonly uuids: Uint8Array | null
  readonly at: Float64Array
  readonly calendarMs: Float64Array
  readonly businessMs: Float64Array
  readonly afterHours: Uint8Array
  readonly rating: Uint8Array
} & { readonly [F in CodedField]: { readonly values: readonly ReportingEvent[F][]; readonly of: Uint16Array } }

/** Where each array begins, for `length` events after a header of `headerBytes` bytes. */
export function blockLayout(headerBytes: number, length: number, uuids: boolean) {
  const at = Math.ceil((4 + headerBytes) / 8) * 8
  const calendarMs = at + 8 * length
  const businessMs = calendarMs + 8 * length
  const positions = businessMs + 8 * length
  const afterHours = positions + 2 * length * CODED_FIELDS.length
  const rating = afterHours + length
  const ids = rating + length
  return { at, calendarMs, businessMs, positions, afterHours, rating, ids, end: ids + (uuids ? 16 * length : 0) }
}

/** An id written as the server's UUIDs are, in lower case: its 16 bytes give back the same text. */
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** The character codes of the hex digits. */
const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef')
/** Where each of a UUID's 16 bytes begins in its text. */
const UUID_DIGITS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]

const nibble = (code: number): number => (code <= 57 ? code - 48 : code - 87)

function writeUuid(id: string, bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const c = UUID_DIGITS[i]!
    bytes[offset + i] = (nibble(id.charCodeAt(c)) << 4) | nibble(id.charCodeAt(c + 1))
  }
}

export function packEventBlock(events: readonly ReportingEvent[]): Uint8Array {
  const length = events.length
  if (length > MAX_BLOCK_EVENTS) throw new Error(`an event block holds at most ${MAX_BLOCK_EVENTS} events; these are ${length}`)
  const values = {} as Record<CodedField, unknown[]>
  const positions = CODED_FIELDS.map((f) => {
    const list: unknown[] = (values[f] = [])
    const seen = new Map<unknown, number>()
    const of = new Uint16Array(length)
    for (let i = 0; i < length; i++) {
      const value = events[i]![f]
      let p = seen.get(value)
      if (p === undefined) {
        p = list.length
        list.push(value)
        seen.set(value, p)
      }
      of[i] = p
    }
    return of
  })
  const uuids = events.every((e) => UUID_TEXT.test(e.id))
  const header = new TextEncoder().encode(JSON.stringify({ length, ...(uuids ? {} : { ids: events.map((e) => e.id) }), values }))
  const at = blockLayout(header.length, length, uuids)
  const bytes = new Uint8Array(at.end)
  new DataView(bytes.buffer).setUint32(0, header.length, true)
  bytes.set(header, 4)
  const times = new Float64Array(bytes.buffer, at.at, length * 3)
  const flags = bytes.subarray(at.afterHours, at.ids)
  for (let i = 0; i < length; i++) {
    const e = events[i]!
    times[i] = e.at
    times[length + i] = e.calendarMs ?? NaN
    times[2 * length + i] = e.businessMs ?? NaN
    flags[i] = e.afterHours ? 1 : 0
    flags[length + i] = e.rating ?? NONE
    if (uuids) writeUuid(e.id, bytes, at.ids + 16 * i)
  }
  const of = new Uint16Array(bytes.buffer, at.positions, length * CODED_FIELDS.length)
  positions.forEach((p, f) => of.set(p, f * length))
  return bytes
}

/** The arrays of type `T` at `offset`, copied: bytes from a socket or a database need not begin at a multiple of 8. */
function copyOf<T extends Float64Array | Uint16Array | Uint8Array>(Type: { new (n: number): T; BYTES_PER_ELEMENT: number }, bytes: Uint8Array, offset: number, n: number): T {
  const array = new Type(n)
  new Uint8Array(array.buffer).set(bytes.subarray(offset, offset + n * Type.BYTES_PER_ELEMENT))
  return array
}

class BadBlock extends Error {}

/** Reads a block's bytes, checking every value as its field's schema would; throws with what is wrong. */
export function readEventBlock(bytes: Uint8Array): EventBlock {
  return openBlock(bytes, true)
}

/**
 * Reads a block the cache kept, without checking its values again: they were checked when it
 * came, or the core wrote it. The dashboards read every block back, and the checks cost more
 * than the reading.
 */
export function readKeptEventBlock(bytes: Uint8Array): EventBlock {
  return openBlock(bytes, false)
}

function openBlock(bytes: Uint8Array, check: boolean): EventBlock {
  if (bytes.length < 4) throw new BadBlock('an event block begins with the length of its header')
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true)
  if (4 + headerBytes > bytes.length) throw new BadBlock("an event block's header runs past its end")
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerBytes)))
  } catch {
    throw new BadBlock("an event block's header is not JSON")
  }
  const header = check ? Header.safeParse(json) : { success: true as const, data: json as z.infer<typeof Header> }
  if (!header.success) throw new BadBlock(`an event block's header: ${z.prettifyError(header.error)}`)
  const { length, ids: listed, values } = header.data
  const at = blockLayout(headerBytes, length, listed === undefined)
  if (bytes.length !== at.end) throw new BadBlock(`an event block of ${length} events takes ${at.end} bytes; this one has ${bytes.length}`)
  if (listed && listed.length !== length) throw new BadBlock(`an event block of ${length} events lists ${listed.length} ids`)

  const times = copyOf(Float64Array, bytes, at.at, 3 * length)
  const positions = copyOf(Uint16Array, bytes, at.positions, length * CODED_FIELDS.length)
  const flags = copyOf(Uint8Array, bytes, at.afterHours, 2 * length)
  const coded = {} as Record<CodedField, { values: unknown[]; of: Uint16Array }>
  for (let n = 0; n < CODED_FIELDS.length; n++) {
    const f = CODED_FIELDS[n]!
    const of = positions.subarray(n * length, (n + 1) * length)
    const i = check ? firstBeyond(of, values[f].length) : -1
    if (i >= 0) throw new BadBlock(`event ${i} of a block: ${f} names none of the block's values`)
    coded[f] = { values: values[f], of }
  }
  // A copy: a Buffer's slice is a view, which need not begin at a multiple of 4.
  const uuids = listed ? null : new Uint8Array(bytes.subarray(at.ids, at.end))
  let ids = listed
  const block: EventBlock = {
    bytes,
    length,
    get id(): readonly string[] {
      return (ids ??= uuidsIn(uuids!))
    },
    uuids,
    at: times.subarray(0, length),
    calendarMs: times.subarray(length, 2 * length),
    businessMs: times.subarray(2 * length),
    afterHours: flags.subarray(0, length),
    rating: flags.subarray(length),
    ...(coded as Pick<EventBlock, CodedField>),
  }
  if (!check) return block
  checkNumbers(block)
  if (uuids ? firstRepeatedUuid(uuids) >= 0 : new Set(listed).size !== length) throw new BadBlock('an event block lists each event once')
  return block
}

/** The first position not below `count`, else -1. */
function firstBeyond(of: Uint16Array, count: number): number {
  for (let i = 0; i < of.length; i++) if (of[i]! >= count) return i
  return -1
}

/**
 * The text of UUIDs given as their bytes, 16 each. Written into one run of characters and read
 * as one string, then sliced: an id put together from its 16 bytes' digits is a tree of short
 * strings, which costs more to keep and to compare than the id.
 */
function uuidsIn(uuids: Uint8Array): string[] {
  const count = uuids.length / 16
  const text = new Uint8Array(36 * count)
  for (let i = 0, t = 0; i < count; i++) {
    for (let k = 0; k < 16; k++) {
      if (k === 4 || k === 6 || k === 8 || k === 10) text[t++] = 45 // '-'
      const byte = uuids[16 * i + k]!
      text[t++] = HEX_DIGITS[byte >> 4]!
      text[t++] = HEX_DIGITS[byte & 15]!
    }
  }
  const all = new TextDecoder().decode(text)
  const ids = new Array<string>(count)
  for (let i = 0; i < count; i++) ids[i] = all.slice(36 * i, 36 * (i + 1))
  return ids
}

/** Whether UUIDs `i` and `j` of `uuids` (16 bytes each) are the same. */
function sameUuid(uuids: Uint8Array, i: number, j: number): boolean {
  for (let k = 0; k < 16; k++) if (uuids[16 * i + k] !== uuids[16 * j + k]) return false
  return true
}

/** The first UUID found earlier among `uuids`, else -1: an open-addressing table of their bytes, not a set of their text, which costs more than reading the rest of the block. */
function firstRepeatedUuid(uuids: Uint8Array): number {
  const count = uuids.length / 16
  const bits = Math.max(4, Math.ceil(Math.log2(count * 2)))
  const slots = new Int32Array(1 << bits)
  const words = new Int32Array(uuids.buffer, uuids.byteOffset, count * 4)
  for (let i = 0; i < count; i++) {
    let slot = Math.imul(words[4 * i]! ^ words[4 * i + 1]! ^ words[4 * i + 2]! ^ words[4 * i + 3]!, 0x9e3779b1) >>> (32 - bits)
    for (let j = slots[slot]!; j !== 0; j = slots[slot]!) {
      if (sameUuid(uuids, i, j - 1)) return i
      slot = (slot + 1) & (slots.length - 1)
    }
    slots[slot] = i + 1
  }
  return -1
}

/** The lowest and the highest id of a non-empty block, in the order of their text, reading as few ids as that takes. */
export function blockIdRange(block: EventBlock): [first: string, last: string] {
  const { uuids } = block
  if (!uuids) return textRange(block.id)
  // The order of the bytes is the order of their text: hex digits sort as the values they write.
  const before = (i: number, j: number): boolean => {
    for (let k = 0; k < 16; k++) if (uuids[16 * i + k] !== uuids[16 * j + k]) return uuids[16 * i + k]! < uuids[16 * j + k]!
    return false
  }
  let first = 0
  let last = 0
  for (let i = 1; i < block.length; i++) {
    if (before(i, first)) first = i
    else if (before(last, i)) last = i
  }
  return [uuidsIn(uuids.subarray(16 * first, 16 * first + 16))[0]!, uuidsIn(uuids.subarray(16 * last, 16 * last + 16))[0]!]
}

function textRange(ids: readonly string[]): [first: string, last: string] {
  let first = ids[0]!
  let last = first
  for (const id of ids) {
    if (id < first) first = id
    else if (id > last) last = id
  }
  return [first, last]
}

const isCount = (v: number): boolean => Number.isSafeInteger(v) && v >= 0

/** The checks of ReportingEvent's number fields, over arrays: a schema per value costs more than the block's parse. */
function checkNumbers({ at, calendarMs, businessMs, afterHours, rating }: EventBlock): void {
  const wrong = (i: number, f: string, what: string): never => {
    throw new BadBlock(`event ${i} of a block: ${f} is not ${what}`)
  }
  for (let i = 0; i < at.length; i++) {
    if (!isCount(at[i]!)) wrong(i, 'at', 'a time in epoch milliseconds')
    if (!isCount(calendarMs[i]!) && !Number.isNaN(calendarMs[i]!)) wrong(i, 'calendarMs', 'a whole number of milliseconds')
    if (!isCount(businessMs[i]!) && !Number.isNaN(businessMs[i]!)) wrong(i, 'businessMs', 'a whole number of milliseconds')
    if (afterHours[i]! > 1) wrong(i, 'afterHours', 'true or false')
    if (rating[i] !== NONE && (rating[i]! < 1 || rating[i]! > 5)) wrong(i, 'rating', 'from 1 to 5')
  }
}

/**
 * The bytes of an event block (`PullResponse.eventBlock`), read and checked: to the schema, an
 * EventBlock, or the first thing wrong with it.
 */
export const EventBlockBytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected an event block as bytes').transform((bytes, ctx): EventBlock => {
  try {
    return readEventBlock(bytes)
  } catch (err) {
    if (!(err instanceof BadBlock)) throw err
    ctx.addIssue({ code: 'custom', message: err.message })
    return z.NEVER
  }
})

/** A block of these events, read back: what the cache keeps when it writes a block itself. */
export function eventBlock(events: readonly ReportingEvent[]): EventBlock {
  return readEventBlock(packEventBlock(events))
}

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v)
const coded = <T>(column: { readonly values: readonly T[]; readonly of: Uint16Array }, i: number): T => column.values[column.of[i]!]!

/** Event `i` of a block as its row, written into `row`: a block of thousands is read without a new array each. */
export function blockRow(block: EventBlock, i: number, into: unknown[]): EventRow {
  const row = into as EventRow
  row[0] = block.id[i]!
  row[1] = coded(block.kind, i)
  row[2] = coded(block.conversationId, i)
  row[3] = coded(block.customerId, i)
  row[4] = coded(block.inbox, i)
  row[5] = coded(block.channel, i)
  row[6] = coded(block.team, i)
  row[7] = coded(block.agentId, i)
  row[8] = block.at[i]!
  row[9] = orNull(block.calendarMs[i]!)
  row[10] = orNull(block.businessMs[i]!)
  row[11] = block.afterHours[i] === 1 ? 1 : 0
  row[12] = coded(block.fromChannel, i)
  row[13] = block.rating[i] === NONE ? null : block.rating[i]!
  row[14] = coded(block.slaTarget, i)
  return row
}

/** Every event of a block. */
export function blockEvents(block: EventBlock): ReportingEvent[] {
  return block.id.map((_, i) => eventOfRow(blockRow(block, i, [])))
}
