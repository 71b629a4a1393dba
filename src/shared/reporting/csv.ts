import { DateTime } from 'luxon'
import { z } from 'zod'
import { Channel, Id } from '../primitives'
import { CHANNELS } from '../domain-values'
import { columnsOf, EventColumns, KIND_NUMBER, NONE } from './event-columns'
import type { ReportingEvent } from './events'
import { csvField } from '../csv'
import type { Summary } from '../domain'
import { summaryId } from '../summaries'

/**
 * The conversations behind a figure as a spreadsheet: one row per conversation, with what its
 * reporting events say of it. A row describes the conversation as a whole, whatever the report's
 * range: the figure says which conversations, the row what became of them.
 */

/** One conversation of a drill-down. Null where its events do not say. */
export const ConversationRow = z.object({
  id: Id,
  customerId: Id.nullable(),
  /** Its inbox and team on its latest event. */
  inbox: z.string().nullable(),
  team: z.string().nullable(),
  /** The channel it began on. */
  channel: Channel.nullable(),
  /** The agent on its latest event naming one: who resolved it, else who had it. */
  agentId: Id.nullable(),
  createdAt: z.number().nullable(),
  /** Its first response. */
  firstResponseCalendarMs: z.number().nullable(),
  firstResponseBusinessMs: z.number().nullable(),
  /** Its latest resolution, timed since it was created or last reopened. */
  resolutionCalendarMs: z.number().nullable(),
  resolutionBusinessMs: z.number().nullable(),
  reopened: z.number(),
  /** Whether a satisfaction survey went out for it. */
  csatSurveyed: z.boolean(),
  /** Its customer's latest answer. */
  csatRating: z.number().nullable(),
  /** What was asked, done and left open, written when it was resolved; null when none was (the events do not hold it: see wrapUpTexts). */
  wrapUp: z.string().nullable(),
})
export type ConversationRow = z.infer<typeof ConversationRow>

/** The text of each wrap-up among these summaries, by its conversation. */
export function wrapUpTexts(summaries: Iterable<Pick<Summary, 'kind' | 'conversationId' | 'text'>>): Map<string, string> {
  const textOf = new Map<string, string>()
  for (const s of summaries) if (s.kind === 'wrap_up' && s.conversationId !== null) textOf.set(s.conversationId, s.text)
  return textOf
}

/** The ids of the wrap-ups these conversations may have. */
export const wrapUpIds = (rows: readonly Pick<ConversationRow, 'id'>[]): string[] => rows.map((row) => summaryId('wrap_up', row.id))

/** Rows and the time zone their times are read in, which the header names. */
export const ConversationRows = z.object({ timeZone: z.string(), rows: z.array(ConversationRow) })
export type ConversationRows = z.infer<typeof ConversationRows>

/** The rows of the conversations `ids`, in that order, from their events (any others are passed over). */
export function conversationRows(events: readonly ReportingEvent[], ids: readonly string[], timeZone: string): ConversationRows {
  const columns = columnsOf(events)
  return conversationRowsOverColumns(columns, 0, columns.length, ids, timeZone)
}

/** The rows of the conversations `ids`, in that order, from events `lo` to `hi` of `columns`. */
export function conversationRowsOverColumns(columns: EventColumns, lo: number, hi: number, ids: readonly string[], timeZone: string): ConversationRows {
  const at = rowPositions(columns, lo, hi, ids)
  return { timeZone, rows: ids.map((_, r) => rowAt(at, r)) }
}

/**
 * Where the events of each of the conversations `ids` are among events `lo` to `hi`: the first
 * and latest of any kind and of each kind a row reads (-1 for none), by the conversation's place
 * in `ids`. A row, or one field of every row, is read from these without building the others.
 */
export interface RowPositions {
  columns: EventColumns
  ids: readonly string[]
  /** Per place in `ids`: its slot, the place of its first occurrence (-1: no events in the window). */
  slot: Int32Array
  first: Int32Array
  latest: Int32Array
  created: Int32Array
  firstResponse: Int32Array
  resolved: Int32Array
  customer: Int32Array
  agent: Int32Array
  answer: Int32Array
  surveyed: Uint8Array
  reopened: Int32Array
}

export function rowPositions(columns: EventColumns, lo: number, hi: number, ids: readonly string[]): RowPositions {
  const dictionary = columns.dictionaries.conversations
  const slotOf = new Int32Array(dictionary.values.length).fill(-1)
  const n = ids.length
  const slot = new Int32Array(n).fill(-1)
  for (let r = 0; r < n; r++) {
    const c = dictionary.find(ids[r]!)
    if (c < 0) continue
    if (slotOf[c]! < 0) slotOf[c] = r
    slot[r] = slotOf[c]!
  }
  // Per conversation asked for, the position of its event of each kind: events come in order, so the first met is the earliest and the last the latest.
  const first = new Int32Array(n).fill(-1)
  const latest = new Int32Array(n).fill(-1)
  const created = new Int32Array(n).fill(-1)
  const firstResponse = new Int32Array(n).fill(-1)
  const resolved = new Int32Array(n).fill(-1)
  const customer = new Int32Array(n).fill(-1)
  const agent = new Int32Array(n).fill(-1)
  const answer = new Int32Array(n).fill(-1)
  const surveyed = new Uint8Array(n)
  const reopened = new Int32Array(n)
  for (let i = lo; i < hi; i++) {
    const s = slotOf[columns.conversation[i]!]!
    if (s < 0) continue
    if (first[s]! < 0) first[s] = i
    latest[s] = i
    if (columns.customer[i]! >= 0) customer[s] = i
    if (columns.agent[i]! >= 0) agent[s] = i
    switch (columns.kind[i]) {
      case KIND_NUMBER.conversation_created:
        if (created[s]! < 0) created[s] = i
        break
      case KIND_NUMBER.first_response:
        if (firstResponse[s]! < 0) firstResponse[s] = i
        break
      case KIND_NUMBER.resolved:
        resolved[s] = i
        break
      case KIND_NUMBER.reopened:
        reopened[s]!++
        break
      case KIND_NUMBER.csat_sent:
        surveyed[s] = 1
        break
      case KIND_NUMBER.csat_answered:
        if (columns.rating[i] !== NONE) answer[s] = i
        break
      default:
        break
    }
  }
  return { columns, ids, slot, first, latest, created, firstResponse, resolved, customer, agent, answer, surveyed, reopened }
}

/** The row of the conversation at place `r` of the positions' `ids`. */
export function rowAt(at: RowPositions, r: number): ConversationRow {
  const { columns } = at
  const id = at.ids[r]!
  const s = at.slot[r]!
  if (s < 0 || at.first[s]! < 0) {
    return { id, customerId: null, inbox: null, team: null, channel: null, agentId: null, createdAt: null, firstResponseCalendarMs: null, firstResponseBusinessMs: null, resolutionCalendarMs: null, resolutionBusinessMs: null, reopened: 0, csatSurveyed: false, csatRating: null, wrapUp: null }
  }
  const began = at.created[s]! >= 0 ? at.created[s]! : at.first[s]!
  return {
    id,
    customerId: at.customer[s]! < 0 ? null : nameOf(columns, columns.customer[at.customer[s]!]!),
    inbox: nameOf(columns, columns.inbox[at.latest[s]!]!),
    team: nameOf(columns, columns.team[at.latest[s]!]!),
    channel: CHANNELS[columns.channel[began]!]!,
    agentId: at.agent[s]! < 0 ? null : nameOf(columns, columns.agent[at.agent[s]!]!),
    createdAt: at.created[s]! < 0 ? null : columns.at[at.created[s]!]!,
    firstResponseCalendarMs: measure(at.firstResponse[s]!, columns.calendarMs),
    firstResponseBusinessMs: measure(at.firstResponse[s]!, columns.businessMs),
    resolutionCalendarMs: measure(at.resolved[s]!, columns.calendarMs),
    resolutionBusinessMs: measure(at.resolved[s]!, columns.businessMs),
    reopened: at.reopened[s]!,
    csatSurveyed: at.surveyed[s] === 1,
    csatRating: at.answer[s]! < 0 ? null : columns.rating[at.answer[s]!]!,
    wrapUp: null,
  }
}

/** One measure of every row, by place in the positions' `ids` (NaN where a row has none), without building the rows. */
export function measureOfRows(
  at: RowPositions,
  field: 'createdAt' | 'firstResponseCalendarMs' | 'firstResponseBusinessMs' | 'resolutionCalendarMs' | 'resolutionBusinessMs' | 'reopened' | 'csatRating',
): Float64Array {
  const { columns } = at
  const out = new Float64Array(at.ids.length).fill(NaN)
  for (let r = 0; r < out.length; r++) {
    const s = at.slot[r]!
    if (s < 0 || at.first[s]! < 0) continue
    switch (field) {
      case 'createdAt':
        if (at.created[s]! >= 0) out[r] = columns.at[at.created[s]!]!
        break
      case 'firstResponseCalendarMs':
        out[r] = measure(at.firstResponse[s]!, columns.calendarMs) ?? NaN
        break
      case 'firstResponseBusinessMs':
        out[r] = measure(at.firstResponse[s]!, columns.businessMs) ?? NaN
        break
      case 'resolutionCalendarMs':
        out[r] = measure(at.resolved[s]!, columns.calendarMs) ?? NaN
        break
      case 'resolutionBusinessMs':
        out[r] = measure(at.resolved[s]!, columns.businessMs) ?? NaN
        break
      case 'reopened':
        out[r] = at.reopened[s]!
        break
      case 'csatRating':
        if (at.answer[s]! >= 0) out[r] = columns.rating[at.answer[s]!]!
        break
    }
  }
  return out
}

const nameOf = (columns: EventColumns, n: number): string | null => (n < 0 ? null : columns.dictionaries.names.values[n]!)
const measure = (i: number, values: Float64Array): number | null => (i < 0 || Number.isNaN(values[i]!) ? null : values[i]!)

/** The header: the time zone is named where times are, as the file leaves it without offsets for spreadsheets to read. */
export function reportCsvHeader(timeZone: string): string[] {
  return [
    'id',
    'customer_id',
    'inbox',
    'channel',
    'team',
    'agent_id',
    `created_at (${timeZone})`,
    'first_response_calendar_ms',
    'first_response_business_ms',
    'resolution_calendar_ms',
    'resolution_business_ms',
    'reopened',
    'csat_surveyed',
    'csat_rating',
    'wrap_up',
  ]
}

/** A local time as spreadsheets read it. In the hour clocks go back, it is ambiguous: the header's zone and the order of rows tell. */
const localTime = (at: number, timeZone: string): string => DateTime.fromMillis(at, { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm:ss')

export function reportCsvRow(row: ConversationRow, timeZone: string): string {
  return [
    row.id,
    row.customerId,
    row.inbox,
    row.channel,
    row.team,
    row.agentId,
    row.createdAt === null ? null : localTime(row.createdAt, timeZone),
    row.firstResponseCalendarMs,
    row.firstResponseBusinessMs,
    row.resolutionCalendarMs,
    row.resolutionBusinessMs,
    row.reopened,
    row.csatSurveyed ? 'true' : 'false',
    row.csatRating,
    row.wrapUp,
  ]
    .map(csvField)
    .join(',')
}

/** The whole file: a header row, then one row per conversation, each line ended by CRLF. */
export function reportCsv({ timeZone, rows }: ConversationRows): string {
  const header = reportCsvHeader(timeZone).map(csvField).join(',')
  return [header, ...rows.map((row) => reportCsvRow(row, timeZone))].map((line) => `${line}\r\n`).join('')
}
