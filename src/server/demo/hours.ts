import { DateTime } from 'luxon'
import type { Channel } from '../../shared/domain'
import type { BusinessHours, Weekday } from '../../shared/reporting/business-hours'

/**
 * When the demo company's team works each channel: a London support team, its phone lines and
 * inbox on office hours, the website chat longer and on Saturdays too, and texts (SMS, WhatsApp)
 * on shorter hours. Every interval opens and closes on the hour, which the demo's clock relies on
 * (clock.ts). The inboxes close on the bank holidays of England and Wales.
 */

const ZONE = 'Europe/London'

function week(days: readonly Weekday[], from: string, to: string): BusinessHours['week'] {
  const all = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } as BusinessHours['week']
  for (const day of days) all[day] = [{ from, to }]
  return all
}

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri']
const OFFICE = week(WEEKDAYS, '08:00', '18:00')
const CHAT = week([...WEEKDAYS, 'sat'], '08:00', '20:00')
const TEXTS = week(WEEKDAYS, '09:00', '17:00')

/** The demo inboxes' business hours, with the holidays of the year of `now` and the years either side. */
export function demoBusinessHours(now: number): Record<Channel, BusinessHours> {
  const year = DateTime.fromMillis(now, { zone: ZONE }).year
  const holidays = [year - 1, year, year + 1].flatMap(bankHolidays)
  const hours = (week: BusinessHours['week']): BusinessHours => ({ timeZone: ZONE, week, holidays })
  return { email: hours(OFFICE), voice: hours(OFFICE), chat: hours(CHAT), sms: hours(TEXTS), whatsapp: hours(TEXTS) }
}

/**
 * The bank holidays of England and Wales in a year, by their standing rules: New Year's Day, Good
 * Friday, Easter Monday, the first and last Mondays of May, the last Monday of August, Christmas
 * Day and Boxing Day, a holiday on a weekend moved to the next weekday that is not one. One-off
 * holidays (a coronation, a jubilee) are not in it.
 */
export function bankHolidays(year: number): string[] {
  const easter = easterSunday(year)
  const date = (month: number, day: number) => DateTime.utc(year, month, day)
  const firstMonday = (month: number) => date(month, 1).plus({ days: (8 - date(month, 1).weekday) % 7 })
  const lastMonday = (month: number) => {
    const last = date(month, 1).endOf('month').startOf('day')
    return last.minus({ days: (last.weekday + 6) % 7 })
  }
  const taken: DateTime[] = []
  const observed = (day: DateTime): DateTime => {
    let d = day
    while (d.weekday >= 6 || taken.some((t) => t.equals(d))) d = d.plus({ days: 1 })
    taken.push(d)
    return d
  }
  const days = [
    observed(date(1, 1)),
    easter.minus({ days: 2 }),
    easter.plus({ days: 1 }),
    firstMonday(5),
    lastMonday(5),
    lastMonday(8),
    observed(date(12, 25)),
    observed(date(12, 26)),
  ]
  return days.map((d) => d.toISODate() ?? '')
}

/** Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm). */
function easterSunday(year: number): DateTime {
  const a = year % 19
  const b = Math.floor(year / 100)
  const c = year % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  const day = ((h + l - 7 * m + 114) % 31) + 1
  return DateTime.utc(year, month, day)
}
