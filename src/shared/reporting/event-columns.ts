import { CHANNELS } from '../domain-values'
import type { Channel } from '../primitives'
import { REPORTING_EVENT_KINDS, ReportingEvent, SlaTarget, type ReportingEventKind } from './events'

/**
 * Reporting events held as columns, in order of time, then id: what a report reads, kept in
 * typed arrays rather than one object per event. A report over 200,000 conversations reads half
 * a million events; as objects they cost more to read and to keep than the figures cost to
 * compute. An event's position is its order: the earlier of two events is the one before.
 *
 * Text fields are numbers into the columns' dictionaries (ids, inboxes, teams), which only grow.
 * A missing value is -1 in an Int32 column, NaN in a Float64 one, and NONE in a Uint8 one.
 */

export const NONE = 255

/** An event's fields in the order of the cache's row of it (`EventRow`). */
export const EVENT_ROW_FIELDS = [
  'id',
  'kind',
  'conversationId',
  'customerId',
  'inbox',
  'channel',
  'team',
  'agentId',
  'at',
  'calendarMs',
  'businessMs',
  'afterHours',
  'fromChannel',
  'rating',
  'slaTarget',
] as const satisfies readonly (keyof ReportingEvent)[]
/** One event as the cache's table holds it: its fields in the order of EVENT_ROW_FIELDS. */
export type EventRow = [
  id: ReportingEvent['id'],
  kind: ReportingEvent['kind'],
  conversationId: ReportingEvent['conversationId'],
  customerId: ReportingEvent['customerId'],
  inbox: ReportingEvent['inbox'],
  channel: ReportingEvent['channel'],
  team: ReportingEvent['team'],
  agentId: ReportingEvent['agentId'],
  at: ReportingEvent['at'],
  calendarMs: ReportingEvent['calendarMs'],
  businessMs: ReportingEvent['businessMs'],
  afterHours: 0 | 1,
  fromChannel: ReportingEvent['fromChannel'],
  rating: ReportingEvent['rating'],
  slaTarget: ReportingEvent['slaTarget'],
]

export function eventRow(e: ReportingEvent): EventRow {
  return [
    e.id,
    e.kind,
    e.conversationId,
    e.customerId,
    e.inbox,
    e.channel,
    e.team,
    e.agentId,
    e.at,
    e.calendarMs,
    e.businessMs,
    e.afterHours ? 1 : 0,
    e.fromChannel,
    e.rating,
    e.slaTarget,
  ]
}

export function eventOfRow(r: EventRow): ReportingEvent {
  return {
    id: r[0],
    kind: r[1],
    conversationId: r[2],
    customerId: r[3],
    inbox: r[4],
    channel: r[5],
    team: r[6],
    agentId: r[7],
    at: r[8],
    calendarMs: r[9],
    businessMs: r[10],
    afterHours: r[11] === 1,
    fromChannel: r[12],
    rating: r[13],
    slaTarget: r[14],
  }
}

/** Earlier by time, then by id: the order of the columns, whatever order events are written in. */
export function rowBefore(a: EventRow, b: EventRow): boolean {
  return a[8] < b[8] || (a[8] === b[8] && a[0] < b[0])
}

/** Strings as numbers, by first appearance. */
export class Dictionary {
  readonly values: string[] = []
  private readonly index = new Map<string, number>()

  of(value: string): number {
    let n = this.index.get(value)
    if (n === undefined) {
      n = this.values.length
      this.values.push(value)
      this.index.set(value, n)
    }
    return n
  }

  /** The number of a value already met, else -1: a filter on a value no event has matches nothing. */
  find(value: string): number {
    return this.index.get(value) ?? -1
  }
}

/** The dictionaries of a set of columns: kept when the columns are rebuilt, so numbers stay valid. */
export interface EventDictionaries {
  conversations: Dictionary
  /** Customers, inboxes, teams and agents (user ids) share one dictionary: filters look them up by value. */
  names: Dictionary
}

export function newDictionaries(): EventDictionaries {
  return { conversations: new Dictionary(), names: new Dictionary() }
}

export class EventColumns {
  length = 0
  at: Float64Array
  kind: Uint8Array
  conversation: Int32Array
  customer: Int32Array
  inbox: Int32Array
  channel: Uint8Array
  team: Int32Array
  agent: Int32Array
  calendarMs: Float64Array
  businessMs: Float64Array
  afterHours: Uint8Array
  fromChannel: Uint8Array
  rating: Uint8Array
  slaTarget: Uint8Array

  constructor(
    readonly dictionaries: EventDictionaries = newDictionaries(),
    capacity = 1024,
  ) {
    this.at = new Float64Array(capacity)
    this.kind = new Uint8Array(capacity)
    this.conversation = new Int32Array(capacity)
    this.customer = new Int32Array(capacity)
    this.inbox = new Int32Array(capacity)
    this.channel = new Uint8Array(capacity)
    this.team = new Int32Array(capacity)
    this.agent = new Int32Array(capacity)
    this.calendarMs = new Float64Array(capacity)
    this.businessMs = new Float64Array(capacity)
    this.afterHours = new Uint8Array(capacity)
    this.fromChannel = new Uint8Array(capacity)
    this.rating = new Uint8Array(capacity)
    this.slaTarget = new Uint8Array(capacity)
  }

  /** Appends an event, which must not be earlier than the last one (`rowBefore`). */
  push(row: EventRow): void {
    if (this.length === this.at.length) this.grow(this.length * 2)
    const i = this.length++
    const { conversations, names } = this.dictionaries
    this.at[i] = row[8]
    this.kind[i] = KIND_NUMBER[row[1]]
    this.conversation[i] = conversations.of(row[2])
    this.customer[i] = row[3] === null ? -1 : names.of(row[3])
    this.inbox[i] = names.of(row[4])
    this.channel[i] = CHANNEL_NUMBER[row[5]]
    this.team[i] = row[6] === null ? -1 : names.of(row[6])
    this.agent[i] = row[7] === null ? -1 : names.of(row[7])
    this.calendarMs[i] = row[9] ?? NaN
    this.businessMs[i] = row[10] ?? NaN
    this.afterHours[i] = row[11]
    this.fromChannel[i] = row[12] === null ? NONE : CHANNEL_NUMBER[row[12]]
    this.rating[i] = row[13] ?? NONE
    this.slaTarget[i] = row[14] === null ? NONE : SlaTarget.options.indexOf(row[14])
  }

  /** Appends event `i` of `from`, which shares these columns' dictionaries. */
  copy(from: EventColumns, i: number): void {
    if (this.length === this.at.length) this.grow(this.length * 2)
    const j = this.length++
    this.at[j] = from.at[i]!
    this.kind[j] = from.kind[i]!
    this.conversation[j] = from.conversation[i]!
    this.customer[j] = from.customer[i]!
    this.inbox[j] = from.inbox[i]!
    this.channel[j] = from.channel[i]!
    this.team[j] = from.team[i]!
    this.agent[j] = from.agent[i]!
    this.calendarMs[j] = from.calendarMs[i]!
    this.businessMs[j] = from.businessMs[i]!
    this.afterHours[j] = from.afterHours[i]!
    this.fromChannel[j] = from.fromChannel[i]!
    this.rating[j] = from.rating[i]!
    this.slaTarget[j] = from.slaTarget[i]!
  }

  /** The first position whose event is at or after `at`. */
  lowerBound(at: number): number {
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.at[mid]! < at) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Event `i` as an object, for tests and checks. */
  event(i: number, id: string): ReportingEvent {
    const { conversations, names } = this.dictionaries
    const name = (n: number): string | null => (n < 0 ? null : names.values[n]!)
    const calendarMs = this.calendarMs[i]!
    const businessMs = this.businessMs[i]!
    return {
      id,
      kind: REPORTING_EVENT_KINDS[this.kind[i]!]!,
      conversationId: conversations.values[this.conversation[i]!]!,
      customerId: name(this.customer[i]!),
      inbox: names.values[this.inbox[i]!]!,
      channel: CHANNELS[this.channel[i]!]!,
      team: name(this.team[i]!),
      agentId: name(this.agent[i]!),
      at: this.at[i]!,
      calendarMs: Number.isNaN(calendarMs) ? null : calendarMs,
      businessMs: Number.isNaN(businessMs) ? null : businessMs,
      afterHours: this.afterHours[i] === 1,
      fromChannel: this.fromChannel[i] === NONE ? null : CHANNELS[this.fromChannel[i]!]!,
      rating: this.rating[i] === NONE ? null : this.rating[i]!,
      slaTarget: this.slaTarget[i] === NONE ? null : SlaTarget.options[this.slaTarget[i]!]!,
    }
  }

  private grow(capacity: number): void {
    const grown = <T extends Float64Array | Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(capacity)
      b.set(a.subarray(0, this.length))
      return b
    }
    this.at = grown(this.at)
    this.kind = grown(this.kind)
    this.conversation = grown(this.conversation)
    this.customer = grown(this.customer)
    this.inbox = grown(this.inbox)
    this.channel = grown(this.channel)
    this.team = grown(this.team)
    this.agent = grown(this.agent)
    this.calendarMs = grown(this.calendarMs)
    this.businessMs = grown(this.businessMs)
    this.afterHours = grown(this.afterHours)
    this.fromChannel = grown(this.fromChannel)
    this.rating = grown(this.rating)
    this.slaTarget = grown(this.slaTarget)
  }
}

export const KIND_NUMBER = Object.fromEntries(REPORTING_EVENT_KINDS.map((k, n) => [k, n])) as Record<ReportingEventKind, number>
const CHANNEL_NUMBER = Object.fromEntries(CHANNELS.map((c, n) => [c, n])) as Record<Channel, number>

/** Columns of these events, in any order. */
export function columnsOf(events: readonly ReportingEvent[]): EventColumns {
  const rows = events.map(eventRow).sort((a, b) => (rowBefore(a, b) ? -1 : rowBefore(b, a) ? 1 : 0))
  const columns = new EventColumns(newDictionaries(), Math.max(16, rows.length))
  for (const row of rows) columns.push(row)
  return columns
}
