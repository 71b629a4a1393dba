import { DateTime } from 'luxon'
import { z } from 'zod'
import { Channel, Id } from '../primitives'
import type { ReportingEvent } from './events'
import { csvField } from '../csv'

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
})
export type ConversationRow = z.infer<typeof ConversationRow>

/** Rows and the time zone their times are read in, which the header names. */
export const ConversationRows = z.object({ timeZone: z.string(), rows: z.array(ConversationRow) })
export type ConversationRows = z.infer<typeof ConversationRows>

const later = (a: ReportingEvent, b: ReportingEvent | undefined): boolean => !b || a.at > b.at || (a.at === b.at && a.id > b.id)

interface Seen {
  first?: ReportingEvent
  latest?: ReportingEvent
  created?: ReportingEvent
  firstResponse?: ReportingEvent
  resolved?: ReportingEvent
  customer?: ReportingEvent
  agent?: ReportingEvent
  answer?: ReportingEvent
  surveyed: boolean
  reopened: number
}

/** The rows of the conversations `ids`, in that order, from their events (any others are passed over). */
export function conversationRows(events: readonly ReportingEvent[], ids: readonly string[], timeZone: string): ConversationRows {
  const seen = new Map<string, Seen>(ids.map((id) => [id, { reopened: 0, surveyed: false }]))
  for (const e of events) {
    const s = seen.get(e.conversationId)
    if (!s) continue
    if (!s.first || later(s.first, e)) s.first = e
    if (later(e, s.latest)) s.latest = e
    if (e.customerId !== null && later(e, s.customer)) s.customer = e
    if (e.agentId !== null && later(e, s.agent)) s.agent = e
    switch (e.kind) {
      case 'conversation_created':
        if (!s.created || later(s.created, e)) s.created = e
        break
      case 'first_response':
        if (!s.firstResponse || later(s.firstResponse, e)) s.firstResponse = e
        break
      case 'resolved':
        if (later(e, s.resolved)) s.resolved = e
        break
      case 'reopened':
        s.reopened++
        break
      case 'csat_sent':
        s.surveyed = true
        break
      case 'csat_answered':
        if (e.rating !== null && later(e, s.answer)) s.answer = e
        break
      default:
        break
    }
  }
  const rows = ids.map((id): ConversationRow => {
    const s = seen.get(id)!
    return {
      id,
      customerId: s.customer?.customerId ?? null,
      inbox: s.latest?.inbox ?? null,
      team: s.latest?.team ?? null,
      channel: (s.created ?? s.first)?.channel ?? null,
      agentId: s.agent?.agentId ?? null,
      createdAt: s.created?.at ?? null,
      firstResponseCalendarMs: s.firstResponse?.calendarMs ?? null,
      firstResponseBusinessMs: s.firstResponse?.businessMs ?? null,
      resolutionCalendarMs: s.resolved?.calendarMs ?? null,
      resolutionBusinessMs: s.resolved?.businessMs ?? null,
      reopened: s.reopened,
      csatSurveyed: s.surveyed,
      csatRating: s.answer?.rating ?? null,
    }
  })
  return { timeZone, rows }
}

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
  ]
    .map(csvField)
    .join(',')
}

/** The whole file: a header row, then one row per conversation, each line ended by CRLF. */
export function reportCsv({ timeZone, rows }: ConversationRows): string {
  const header = reportCsvHeader(timeZone).map(csvField).join(',')
  return [header, ...rows.map((row) => reportCsvRow(row, timeZone))].map((line) => `${line}\r\n`).join('')
}
