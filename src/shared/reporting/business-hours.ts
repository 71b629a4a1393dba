import { DateTime, IANAZone } from 'luxon'
import { z } from 'zod'

/**
 * Business hours of an inbox: the weekly intervals it is staffed, read on the clock of its time
 * zone, and the holidays it is closed. Waits are measured both in calendar time and in business
 * time, the part of the wait that fell within these hours, so a message sent on Friday evening
 * and answered on Monday morning does not count the weekend against the team.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
const MINUTES_PER_DAY = 24 * 60
/** 24:00 is allowed so that an interval can run to the end of the day. */
const CLOCK_TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

const minutesOf = (clock: string): number => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5))

/** Checked by the day that holds it, so its messages can name the day. */
const OpenInterval = z.object({
  from: z.string({ error: 'an interval of business hours needs an opening time' }),
  to: z.string({ error: 'an interval of business hours needs a closing time' }),
})

/** One day's intervals, at most 6, in any order, not overlapping (touching is fine). */
const dayHours = (day: Weekday) =>
  z
    .array(OpenInterval)
    .max(6, `business hours for ${day}: at most 6 intervals a day`)
    .default([])
    .superRefine((intervals, ctx) => {
      const valid: { from: number; to: number; label: string }[] = []
      intervals.forEach((interval, i) => {
        const label = `${interval.from}–${interval.to}`
        for (const key of ['from', 'to'] as const) {
          if (!CLOCK_TIME.test(interval[key])) {
            ctx.addIssue({ code: 'custom', path: [i, key], message: `business hours for ${day}: "${interval[key]}" is not a time of day written HH:MM (00:00 to 24:00)` })
          }
        }
        if (!CLOCK_TIME.test(interval.from) || !CLOCK_TIME.test(interval.to)) return
        const from = minutesOf(interval.from)
        const to = minutesOf(interval.to)
        if (from === to) {
          ctx.addIssue({ code: 'custom', path: [i], message: `business hours for ${day}: ${label} opens and closes at the same time` })
        } else if (from > to) {
          ctx.addIssue({
            code: 'custom',
            path: [i],
            message: `business hours for ${day}: ${label} ends before it starts (a shift past midnight is two intervals: one ending at 24:00, and one starting at 00:00 the next day)`,
          })
        } else {
          valid.push({ from, to, label })
        }
      })
      // Compared with the interval reaching furthest so far, so one long interval is named against each it covers.
      let furthest: (typeof valid)[number] | undefined
      for (const current of valid.sort((a, b) => a.from - b.from)) {
        if (furthest && current.from < furthest.to) ctx.addIssue({ code: 'custom', message: `business hours for ${day}: ${furthest.label} overlaps ${current.label}` })
        if (!furthest || current.to > furthest.to) furthest = current
      }
    })

export const BusinessHours = z.object({
  /** An IANA zone name: the intervals and holidays are read on its clock, summer time included. */
  timeZone: z.string({ error: 'business hours need a time zone, such as Europe/Berlin' }).refine((zone) => IANAZone.isValidZone(zone), {
    error: (issue) => `"${String(issue.input)}" is not a time zone; use a name such as Europe/Berlin or America/New_York`,
  }),
  /** A missing day is closed all day. */
  week: z.strictObject(
    { mon: dayHours('mon'), tue: dayHours('tue'), wed: dayHours('wed'), thu: dayHours('thu'), fri: dayHours('fri'), sat: dayHours('sat'), sun: dayHours('sun') },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `${issue.keys.map((k) => `"${k}"`).join(', ')} is not a day; days are written ${WEEKDAYS.join(', ')}`
          : 'business hours need the opening times of the week',
    },
  ),
  /** Dates closed all day in the inbox's time zone, whatever the week says. */
  holidays: z
    .array(
      z.string().refine((date) => DATE.test(date) && DateTime.fromISO(date, { zone: 'utc' }).isValid, {
        error: (issue) => `holiday "${String(issue.input)}" is not a date written YYYY-MM-DD`,
      }),
    )
    .max(1000, 'at most 1000 holidays')
    .default([]),
})
export type BusinessHours = z.infer<typeof BusinessHours>

const AROUND_THE_CLOCK = [{ from: '00:00', to: '24:00' }]

/** No schedule: open around the clock with no holidays, so business time is calendar time (as it is for null). */
export const ALWAYS_OPEN: BusinessHours = {
  timeZone: 'UTC',
  week: { mon: AROUND_THE_CLOCK, tue: AROUND_THE_CLOCK, wed: AROUND_THE_CLOCK, thu: AROUND_THE_CLOCK, fri: AROUND_THE_CLOCK, sat: AROUND_THE_CLOCK, sun: AROUND_THE_CLOCK },
  holidays: [],
}

/**
 * The first instant at which the zone's clock reads this date and time or later. A time the clock
 * shows twice (the night it goes back) counts at its first showing, and a time it skips (the night it
 * goes forward) at the moment it jumps past it. Luxon alone picks a repeated time's showing by the
 * offset in force today, so a wait would count differently in summer and in winter, and moves a
 * skipped time forward by the jump, so an interval ending in the skipped hour would overlap the next.
 */
function clockInstant(zone: string, date: DateTime, minutes: number): number {
  const wanted = { year: date.year, month: date.month, day: date.day, hour: Math.floor(minutes / 60), minute: minutes % 60 }
  const found = DateTime.fromObject(wanted, { zone })
  if (found.day === wanted.day && found.hour === wanted.hour && found.minute === wanted.minute) {
    return Math.min(...found.getPossibleOffsets().map((showing) => showing.toMillis()))
  }
  // Skipped: luxon moved it forward by the length of the jump, so the jump happened within that length before.
  const skipped = found.toMillis() + found.offset * MINUTE_MS - Date.UTC(wanted.year, wanted.month - 1, wanted.day, wanted.hour, wanted.minute)
  let before = found.toMillis() - skipped
  let after = found.toMillis()
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2)
    if (found.zone.offset(middle) === found.offset) after = middle
    else before = middle
  }
  return after
}

interface Schedule {
  zone: string
  /** Per weekday, Monday first, the open intervals in minutes of the clock, in order. */
  days: { from: number; to: number }[][]
  holidays: ReadonlySet<string>
}

function scheduleOf(hours: BusinessHours): Schedule {
  return {
    zone: hours.timeZone,
    days: WEEKDAYS.map((day) => hours.week[day].map((i) => ({ from: minutesOf(i.from), to: minutesOf(i.to) })).sort((a, b) => a.from - b.from)),
    holidays: new Set(hours.holidays),
  }
}

const aroundTheClock = (s: Schedule): boolean => s.holidays.size === 0 && s.days.every((d) => d.length === 1 && d[0]?.from === 0 && d[0].to === MINUTES_PER_DAY)

/**
 * The schedule's open intervals (epoch ms) of the days from the one holding `from` to the one
 * holding `until`, in order, clipped to start no earlier than `from` (but not to end by `until`).
 */
function* openIntervals(schedule: Schedule, from: number, until: number): Generator<{ open: number; close: number }> {
  const { zone } = schedule
  // Dates are walked as plain calendar dates (in UTC, where every day has 24 hours); each becomes
  // instants on the inbox's clock only where its intervals start and end.
  const local = DateTime.fromMillis(from, { zone })
  let date = DateTime.utc(local.year, local.month, local.day)
  let start = clockInstant(zone, date, 0)
  while (start < until) {
    const next = date.plus({ days: 1 })
    const end = clockInstant(zone, next, 0)
    // A day of 24 hours has no change of the clock in it: its times are that many minutes after its midnight.
    const steady = end - start === DAY_MS
    const instant = (minutes: number): number =>
      minutes === 0 ? start : minutes === MINUTES_PER_DAY ? end : steady ? start + minutes * MINUTE_MS : clockInstant(zone, date, minutes)
    if (!schedule.holidays.has(date.toISODate() ?? '')) {
      for (const interval of schedule.days[date.weekday - 1] ?? []) {
        const open = Math.max(from, instant(interval.from))
        const close = instant(interval.to)
        if (close > open) yield { open, close }
      }
    }
    date = next
    start = end
  }
}

/**
 * The milliseconds between two instants (epoch ms) that fall within business hours; 0 when `to` is
 * not after `from`. Null hours are open around the clock.
 */
export function businessMillisBetween(hours: BusinessHours | null, from: number, to: number): number {
  if (to <= from) return 0
  if (hours === null) return to - from
  const schedule = scheduleOf(hours)
  if (aroundTheClock(schedule)) return to - from
  let total = 0
  for (const { open, close } of openIntervals(schedule, from, to)) {
    if (open >= to) break
    total += Math.min(close, to) - open
  }
  return total
}

/**
 * Holidays are at most 1000 days, so a schedule with no open time in this long after an instant
 * is never open again.
 */
const NEVER_OPEN_AFTER_MS = 5 * 366 * DAY_MS

/**
 * The first instant by which `ms` of business time have passed since `from` (`from` itself for
 * 0): when a target of so much business time falls due. Null when the schedule is never open
 * again (every day closed). The inverse of businessMillisBetween: the business time from `from`
 * to the answer is `ms`.
 */
export function addBusinessMillis(hours: BusinessHours | null, from: number, ms: number): number | null {
  if (ms <= 0) return from
  if (hours === null) return from + ms
  const schedule = scheduleOf(hours)
  if (aroundTheClock(schedule)) return from + ms
  let left = ms
  let cursor = from
  for (;;) {
    let found = false
    for (const { open, close } of openIntervals(schedule, cursor, cursor + NEVER_OPEN_AFTER_MS)) {
      if (close - open >= left) return open + left
      left -= close - open
      cursor = close
      found = true
    }
    if (!found) return null
  }
}

/** Whether the inbox is open at this instant; measured as the millisecond from it, so it always agrees with businessMillisBetween. */
export function isWithinBusinessHours(hours: BusinessHours | null, at: number): boolean {
  return businessMillisBetween(hours, at, at + 1) === 1
}
