import { DateTime, IANAZone } from 'luxon'
import { z } from 'zod'
import { Channel, Id, Label, Timestamp } from '../domain'

/**
 * What a report covers: a span of time, the time zone its days and hours are read in, and
 * optional filters. The client core and the server take the same query, so a supervisor sees the
 * same figures offline and over the API.
 */

const DAY_MS = 86_400_000
/** A little over a year, so "this month last year" and a full year compare; longer spans are an export's job. */
export const MAX_REPORT_DAYS = 400

export const TimeZone = z
  .string()
  .refine((zone) => IANAZone.isValidZone(zone), { message: 'not a time zone name (expected an IANA name such as Europe/Berlin)' })

/** Each list keeps events matching any of its values. An empty list would match nothing, which is never what a filter means: leave it out instead. */
const anyOf = <T extends z.ZodType>(value: T, what: string) =>
  z.array(value).min(1, `leave out an empty ${what} filter to include every one`).max(1000).optional()

export const ReportFilters = z.object({
  inboxes: anyOf(z.string().min(1), 'inbox'),
  channels: anyOf(Channel, 'channel'),
  teams: anyOf(z.string().min(1), 'team'),
  /** User ids: an event counts for the agent it is about (see ReportingEvent.agentId). */
  agents: anyOf(Id, 'agent'),
  /** By the conversation's labels now: events do not record labels. */
  labels: anyOf(Label, 'label'),
})
export type ReportFilters = z.infer<typeof ReportFilters>

export const ReportQuery = z
  .object({
    from: Timestamp,
    /** Exclusive. */
    to: Timestamp,
    timeZone: TimeZone,
    filters: ReportFilters.optional(),
  })
  .superRefine((q, ctx) => {
    if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'the range must end after it starts' })
    else if (q.to - q.from > MAX_REPORT_DAYS * DAY_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: `a report covers at most ${MAX_REPORT_DAYS} days` })
  })
export type ReportQuery = z.infer<typeof ReportQuery>

export interface ReportRange {
  from: number
  to: number
}

export const REPORT_PRESET_IDS = ['today', 'yesterday', 'last7Days', 'last30Days', 'thisMonth', 'lastMonth'] as const
export const ReportPreset = z.enum(REPORT_PRESET_IDS)
export type ReportPreset = z.infer<typeof ReportPreset>

function localNow(timeZone: string, now: number): DateTime {
  const at = DateTime.fromMillis(now, { zone: timeZone })
  if (!at.isValid) throw new Error(`not a time zone name: ${timeZone}`)
  return at
}

const range = (from: DateTime, to: DateTime): ReportRange => ({ from: from.toMillis(), to: to.toMillis() })

/**
 * Whole local days, so a preset's days are the days a supervisor sees on the wall clock (23 or
 * 25 hours across a DST change). The "last n days" include today: a supervisor watching the
 * queue wants this morning in the figures.
 */
export const REPORT_PRESETS: Record<ReportPreset, { label: string; range: (timeZone: string, now: number) => ReportRange }> = {
  today: {
    label: 'Today',
    range: (tz, now) => {
      const today = localNow(tz, now).startOf('day')
      return range(today, today.plus({ days: 1 }))
    },
  },
  yesterday: {
    label: 'Yesterday',
    range: (tz, now) => {
      const today = localNow(tz, now).startOf('day')
      return range(today.minus({ days: 1 }), today)
    },
  },
  last7Days: {
    label: 'Last 7 days',
    range: (tz, now) => {
      const tomorrow = localNow(tz, now).startOf('day').plus({ days: 1 })
      return range(tomorrow.minus({ days: 7 }), tomorrow)
    },
  },
  last30Days: {
    label: 'Last 30 days',
    range: (tz, now) => {
      const tomorrow = localNow(tz, now).startOf('day').plus({ days: 1 })
      return range(tomorrow.minus({ days: 30 }), tomorrow)
    },
  },
  thisMonth: {
    label: 'This month',
    range: (tz, now) => {
      const month = localNow(tz, now).startOf('month')
      return range(month, month.plus({ months: 1 }))
    },
  },
  lastMonth: {
    label: 'Last month',
    range: (tz, now) => {
      const month = localNow(tz, now).startOf('month')
      return range(month.minus({ months: 1 }), month)
    },
  },
}
