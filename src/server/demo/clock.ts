import type { Faker } from '@faker-js/faker'
import { DateTime } from 'luxon'
import { WEEKDAYS, type BusinessHours } from '../../shared/reporting/business-hours'

const HOUR = 3_600_000
const minutesOf = (clock: string): number => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5))

/** How much more or less likely a customer is to write in an hour than in an open one. */
const CLOSED_DAYTIME_WEIGHT = 0.22
const NIGHT_WEIGHT = 0.03
/** Local hours from which people are awake enough to write to a shop. */
const WAKING = { from: 7, to: 23 }

/**
 * When the demo's customers write and its agents answer, over one inbox's business hours: an
 * hour-by-hour table from `from` to `to`, so a history of a million steps asks luxon nothing per
 * step. Whole hours are exact for hours that open and close on the hour (the demo's do) in a zone
 * whose offsets are whole hours (London's are).
 */
export class DemoClock {
  private readonly from: number
  private readonly to: number
  private readonly open: boolean[] = []
  /** cumulative[i]: the customers' weight of the hours before hour i. */
  private readonly cumulative: number[] = [0]
  private readonly weight: number[] = []

  constructor(hours: BusinessHours, from: number, to: number) {
    this.from = Math.floor(from / HOUR) * HOUR
    this.to = to
    const holidays = new Set(hours.holidays)
    for (let start = this.from; start < to; start += HOUR) {
      const local = DateTime.fromMillis(start, { zone: hours.timeZone })
      const minute = local.hour * 60
      const day = hours.week[WEEKDAYS[local.weekday - 1]!]
      const open = !holidays.has(local.toISODate() ?? '') && day.some((i) => minutesOf(i.from) <= minute && minute + 60 <= minutesOf(i.to))
      const w = open ? 1 : local.hour >= WAKING.from && local.hour < WAKING.to ? CLOSED_DAYTIME_WEIGHT : NIGHT_WEIGHT
      this.open.push(open)
      this.weight.push(w)
      this.cumulative.push(this.cumulative[this.cumulative.length - 1]! + w)
    }
  }

  isOpen(at: number): boolean {
    return this.open[this.slot(at)] ?? false
  }

  /**
   * A moment in [lo, hi] at which a customer writes: most often while the team is in, less in the
   * evenings and at weekends, seldom at night.
   */
  customerMoment(f: Faker, lo: number, hi: number): number {
    const a = this.mass(Math.max(lo, this.from))
    const b = this.mass(Math.min(hi, this.to))
    if (!(b > a)) return lo
    const u = f.number.float({ min: a, max: b })
    let low = 0
    let high = this.weight.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (this.cumulative[middle]! <= u) low = middle
      else high = middle - 1
    }
    const at = this.from + low * HOUR + ((u - this.cumulative[low]!) / this.weight[low]!) * HOUR
    return Math.min(hi, Math.max(lo, Math.floor(at)))
  }

  /** The instant `ms` of business time after `at` (at the next opening when `ms` is 0); null past `to`. */
  afterBusiness(at: number, ms: number): number | null {
    let left = ms
    let cursor = at
    for (let slot = this.slot(at); slot < this.open.length; slot++) {
      const end = this.from + (slot + 1) * HOUR
      if (this.open[slot]) {
        if (cursor + left <= end) return cursor + left
        left -= end - cursor
      }
      cursor = end
    }
    return null
  }

  private slot(at: number): number {
    return Math.max(0, Math.floor((at - this.from) / HOUR))
  }

  /** The customers' weight of the time from `from` to `at`. */
  private mass(at: number): number {
    const slot = Math.min(this.slot(at), this.weight.length - 1)
    const into = (at - (this.from + slot * HOUR)) / HOUR
    return this.cumulative[slot]! + this.weight[slot]! * Math.min(1, Math.max(0, into))
  }
}
