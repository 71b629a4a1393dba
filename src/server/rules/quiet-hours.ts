import type { Customer } from '../../shared/domain'
import { isTimeZone, type QuietHours } from './config'

const minutesOf = (clock: string): number => {
  const [h, m] = clock.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}

/** Minutes since local midnight at `at` in `timeZone`. */
export function localMinutes(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at)
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0)
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0)
  return hour * 60 + minute
}

/** The customer's own time zone when their profile names a valid one, else the configured one. */
export function customerTimeZone(customer: Pick<Customer, 'attributes'>, fallback: string): string {
  for (const key of ['timezone', 'timeZone', 'tz']) {
    const value = customer.attributes[key]
    if (typeof value === 'string' && isTimeZone(value)) return value
  }
  return fallback
}

/** Whether `at` falls in the quiet period; a period whose start is after its end runs past midnight. */
export function inQuietHours(at: number, quiet: Pick<QuietHours, 'start' | 'end'>, timeZone: string): boolean {
  const now = localMinutes(at, timeZone)
  const start = minutesOf(quiet.start)
  const end = minutesOf(quiet.end)
  return start < end ? now >= start && now < end : now >= start || now < end
}
