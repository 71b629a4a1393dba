import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addBusinessMillis, ALWAYS_OPEN, BusinessHours, businessMillisBetween, isWithinBusinessHours, WEEKDAYS } from './business-hours'

const HOUR = 3_600_000
const MINUTE = 60_000

/** Instants are written with their offset, so each can be checked against a calendar. */
const at = (iso: string): number => {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${iso}`)
  return ms
}

const OFFICE = [{ from: '09:00', to: '17:00' }]
/** Monday to Friday, 09:00–17:00, in Berlin. */
const weekdays = (holidays: string[] = []): BusinessHours =>
  BusinessHours.parse({ timeZone: 'Europe/Berlin', week: { mon: OFFICE, tue: OFFICE, wed: OFFICE, thu: OFFICE, fri: OFFICE }, holidays })
/** Open all of Sunday and nothing else, so a wait over a weekend measures the length of that Sunday. */
const sundayOnly = (timeZone: string, sun = [{ from: '00:00', to: '24:00' }]): BusinessHours => BusinessHours.parse({ timeZone, week: { sun } })

const hours = (schedule: BusinessHours | null, from: string, to: string): number => businessMillisBetween(schedule, at(from), at(to)) / HOUR

describe('business time between two instants', () => {
  it('skips the weekend: Friday 16:00 to Monday 10:00 is the last hour of Friday and the first of Monday', () => {
    expect(hours(weekdays(), '2026-03-06T16:00+01:00', '2026-03-09T10:00+01:00')).toBe(2)
  })

  it('skips a holiday: with Monday closed, Friday 16:00 to Tuesday 10:00 is still 2 hours', () => {
    expect(hours(weekdays(), '2026-03-06T16:00+01:00', '2026-03-10T10:00+01:00')).toBe(10)
    expect(hours(weekdays(['2026-03-09']), '2026-03-06T16:00+01:00', '2026-03-10T10:00+01:00')).toBe(2)
  })

  it('counts from closed time into open time, and nothing for a wait that stays closed', () => {
    expect(hours(weekdays(), '2026-03-02T07:00+01:00', '2026-03-02T10:00+01:00')).toBe(1)
    expect(hours(weekdays(), '2026-03-02T07:00+01:00', '2026-03-02T18:00+01:00')).toBe(8)
    expect(hours(weekdays(), '2026-03-07T10:00+01:00', '2026-03-08T20:00+01:00')).toBe(0)
  })

  it('counts both parts of a split shift and not the lunch break between them', () => {
    const split = [{ from: '13:00', to: '17:00' }, { from: '09:00', to: '12:00' }]
    const schedule = BusinessHours.parse({ timeZone: 'Europe/Berlin', week: { mon: split } })
    expect(hours(schedule, '2026-03-02T11:00+01:00', '2026-03-02T14:00+01:00')).toBe(2)
    expect(hours(schedule, '2026-03-02T11:00+01:00', '2026-03-02T12:30+01:00')).toBe(1)
    expect(hours(schedule, '2026-03-02T00:00+01:00', '2026-03-03T00:00+01:00')).toBe(7)
  })

  it('runs an interval ending at 24:00 into the next day’s interval starting at 00:00', () => {
    const schedule = BusinessHours.parse({ timeZone: 'Europe/Berlin', week: { mon: [{ from: '20:00', to: '24:00' }], tue: [{ from: '00:00', to: '02:00' }] } })
    expect(hours(schedule, '2026-03-02T21:00+01:00', '2026-03-03T03:00+01:00')).toBe(5)
    expect(isWithinBusinessHours(schedule, at('2026-03-02T23:59:59.999+01:00'))).toBe(true)
    expect(isWithinBusinessHours(schedule, at('2026-03-03T00:00+01:00'))).toBe(true)
  })

  it('adds up weeks: three weeks of 40 hours are 120 hours, a clock change in Berlin among them', () => {
    expect(hours(weekdays(), '2026-03-16T00:00+01:00', '2026-04-06T00:00+02:00')).toBe(120)
  })

  it('is calendar time without a schedule, and nothing when the end is not after the start', () => {
    expect(hours(null, '2026-03-06T16:00+01:00', '2026-03-09T10:00+01:00')).toBe(66)
    expect(hours(ALWAYS_OPEN, '2026-03-06T16:00+01:00', '2026-03-09T10:00+01:00')).toBe(66)
    expect(BusinessHours.parse(ALWAYS_OPEN)).toEqual(ALWAYS_OPEN)
    expect(hours(weekdays(), '2026-03-09T10:00+01:00', '2026-03-06T16:00+01:00')).toBe(0)
    expect(hours(null, '2026-03-09T10:00+01:00', '2026-03-09T10:00+01:00')).toBe(0)
    expect(hours(null, '2026-03-09T10:00+01:00', '2026-03-06T16:00+01:00')).toBe(0)
  })

  it('measures a year of split shifts with two holidays quickly', () => {
    const split = [{ from: '09:00', to: '12:00' }, { from: '13:00', to: '17:00' }]
    const schedule = BusinessHours.parse({
      timeZone: 'Europe/Berlin',
      week: { mon: split, tue: split, wed: split, thu: split, fri: split },
      holidays: ['2026-01-01', '2026-12-25'],
    })
    const started = performance.now()
    // 2026 has 261 weekdays; both holidays are among them.
    expect(hours(schedule, '2026-01-01T00:00+01:00', '2027-01-01T00:00+01:00')).toBe(259 * 7)
    expect(performance.now() - started).toBeLessThan(365)
  })
})

describe('business time across a change of the clock', () => {
  it('counts the Sunday of spring forward in Berlin as 23 hours and the Sunday of fall back as 25', () => {
    expect(hours(sundayOnly('Europe/Berlin'), '2026-03-28T12:00+01:00', '2026-03-30T12:00+02:00')).toBe(23)
    expect(hours(sundayOnly('Europe/Berlin'), '2026-10-24T12:00+02:00', '2026-10-26T12:00+01:00')).toBe(25)
  })

  it('does the same in New York, whose clock changes on other Sundays', () => {
    expect(hours(sundayOnly('America/New_York'), '2026-03-07T12:00-05:00', '2026-03-09T12:00-04:00')).toBe(23)
    expect(hours(sundayOnly('America/New_York'), '2026-10-31T12:00-04:00', '2026-11-02T12:00-05:00')).toBe(25)
    // Berlin has changed its clock by then; New York's 24-hour Sundays stay 24 hours.
    expect(hours(sundayOnly('America/New_York'), '2026-03-28T12:00-04:00', '2026-03-30T12:00-04:00')).toBe(24)
  })

  it('reads office hours on the wall clock, so the weekend of a clock change still leaves 2 hours from Friday 16:00 to Monday 10:00', () => {
    expect(hours(weekdays(), '2026-03-27T16:00+01:00', '2026-03-30T10:00+02:00')).toBe(2)
    expect(hours(weekdays(), '2026-10-23T16:00+02:00', '2026-10-26T10:00+01:00')).toBe(2)
  })

  it('opens at a skipped time when the clock jumps past it (Berlin, 2026-03-29: 02:00 becomes 03:00)', () => {
    const weekend = ['2026-03-28T12:00+01:00', '2026-03-30T12:00+02:00'] as const
    // 01:30 to 02:30 is open from 01:30 until the jump, half an hour later.
    expect(hours(sundayOnly('Europe/Berlin', [{ from: '01:30', to: '02:30' }]), ...weekend)).toBe(0.5)
    // Both ends skipped: never open.
    expect(hours(sundayOnly('Europe/Berlin', [{ from: '02:15', to: '02:45' }]), ...weekend)).toBe(0)
    // 01:00 to 04:00 on the wall clock is two hours.
    expect(hours(sundayOnly('Europe/Berlin', [{ from: '01:00', to: '04:00' }]), ...weekend)).toBe(2)
  })

  it('opens at a repeated time at its first showing (Berlin, 2026-10-25: 03:00 becomes 02:00 again)', () => {
    const weekend = ['2026-10-24T12:00+02:00', '2026-10-26T12:00+01:00'] as const
    // From the first 02:30 (summer time) to 03:00 (winter time): the half hour, then the repeated hour.
    const late = sundayOnly('Europe/Berlin', [{ from: '02:30', to: '03:00' }])
    expect(hours(late, ...weekend)).toBe(1.5)
    expect(isWithinBusinessHours(late, at('2026-10-25T02:15+01:00'))).toBe(true)
    expect(isWithinBusinessHours(late, at('2026-10-25T02:15+02:00'))).toBe(false)
    // From 01:00 to the first 02:30.
    expect(hours(sundayOnly('Europe/Berlin', [{ from: '01:00', to: '02:30' }]), ...weekend)).toBe(1.5)
  })
})

describe('the instant so much business time after another', () => {
  const due = (schedule: BusinessHours | null, from: string, hours: number): string | null => {
    const instant = addBusinessMillis(schedule, at(from), hours * HOUR)
    return instant === null ? null : new Date(instant).toISOString()
  }

  it('carries over the weekend: 3 hours after Friday 16:00 is Monday 11:00', () => {
    expect(due(weekdays(), '2026-03-06T16:00+01:00', 3)).toBe('2026-03-09T10:00:00.000Z')
  })

  it('starts counting at opening time when it starts while closed, and ends at closing time exactly', () => {
    expect(due(weekdays(), '2026-03-02T07:00+01:00', 1)).toBe('2026-03-02T09:00:00.000Z')
    expect(due(weekdays(), '2026-03-02T09:00+01:00', 8)).toBe('2026-03-02T16:00:00.000Z')
  })

  it('counts the wall clock across a change of the clock: Friday 16:00 + 2 hours is Monday 10:00 in summer time', () => {
    expect(due(weekdays(), '2026-03-27T16:00+01:00', 2)).toBe('2026-03-30T08:00:00.000Z')
  })

  it('is the instant itself for nothing, calendar time without a schedule, and null for a schedule never open', () => {
    expect(due(weekdays(), '2026-03-07T10:00+01:00', 0)).toBe('2026-03-07T09:00:00.000Z')
    expect(due(null, '2026-03-07T10:00+01:00', 30)).toBe('2026-03-08T15:00:00.000Z')
    expect(due(BusinessHours.parse({ timeZone: 'Europe/Berlin', week: {} }), '2026-03-07T10:00+01:00', 1)).toBeNull()
  })
})

describe('whether an instant is within business hours', () => {
  it('includes the opening minute and excludes the closing one', () => {
    expect(isWithinBusinessHours(weekdays(), at('2026-03-06T09:00+01:00'))).toBe(true)
    expect(isWithinBusinessHours(weekdays(), at('2026-03-06T16:59+01:00'))).toBe(true)
    expect(isWithinBusinessHours(weekdays(), at('2026-03-06T17:00+01:00'))).toBe(false)
    expect(isWithinBusinessHours(weekdays(), at('2026-03-06T08:59+01:00'))).toBe(false)
  })

  it('is closed at weekends and on holidays, read in the inbox’s zone, and open without a schedule', () => {
    expect(isWithinBusinessHours(weekdays(), at('2026-03-07T10:00+01:00'))).toBe(false)
    expect(isWithinBusinessHours(weekdays(['2026-03-09']), at('2026-03-09T10:00+01:00'))).toBe(false)
    // 09:30 in New York on Monday is 15:30 in Berlin: open.
    expect(isWithinBusinessHours(weekdays(), at('2026-03-02T09:30-05:00'))).toBe(true)
    expect(isWithinBusinessHours(null, at('2026-03-07T03:00+01:00'))).toBe(true)
  })
})

describe('the business hours an admin sets', () => {
  const messages = (input: unknown): string[] => BusinessHours.safeParse(input).error?.issues.map((i) => i.message) ?? []
  const week = (week: unknown) => ({ timeZone: 'Europe/Berlin', week })

  it('closes days left out, and has no holidays unless given', () => {
    expect(BusinessHours.parse(week({ mon: OFFICE }))).toEqual({
      timeZone: 'Europe/Berlin',
      week: { mon: OFFICE, tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
      holidays: [],
    })
    expect(messages(week({ mon: [{ from: '09:00', to: '12:00' }, { from: '12:00', to: '24:00' }] }))).toEqual([])
  })

  it('names the day and the interval that is wrong', () => {
    expect(messages(week({ tue: [{ from: '18:00', to: '09:00' }] }))).toEqual([
      'business hours for tue: 18:00–09:00 ends before it starts (a shift past midnight is two intervals: one ending at 24:00, and one starting at 00:00 the next day)',
    ])
    expect(messages(week({ wed: [{ from: '12:00', to: '17:00' }, { from: '09:00', to: '13:00' }] }))).toEqual(['business hours for wed: 09:00–13:00 overlaps 12:00–17:00'])
    expect(messages(week({ thu: [{ from: '09:00', to: '09:00' }] }))).toEqual(['business hours for thu: 09:00–09:00 opens and closes at the same time'])
    expect(messages(week({ fri: [{ from: '9:00', to: '24:30' }] }))).toEqual([
      'business hours for fri: "9:00" is not a time of day written HH:MM (00:00 to 24:00)',
      'business hours for fri: "24:30" is not a time of day written HH:MM (00:00 to 24:00)',
    ])
    expect(messages(week({ sat: Array.from({ length: 7 }, (_, i) => ({ from: `1${i}:00`, to: `1${i}:30` })) }))).toEqual(['business hours for sat: at most 6 intervals a day'])
  })

  it('rejects an unknown day, time zone or holiday in words an admin can act on', () => {
    expect(messages(week({ monday: OFFICE }))).toEqual(['"monday" is not a day; days are written mon, tue, wed, thu, fri, sat, sun'])
    expect(messages({ week: { mon: [{ from: '09:00' }] } })).toEqual([
      'business hours need a time zone, such as Europe/Berlin',
      'an interval of business hours needs a closing time',
    ])
    expect(messages({ timeZone: 'Europe/Berlin' })).toEqual(['business hours need the opening times of the week'])
    expect(messages({ timeZone: 'Europe/Berln', week: {} })).toEqual(['"Europe/Berln" is not a time zone; use a name such as Europe/Berlin or America/New_York'])
    expect(messages({ ...week({}), holidays: ['2026-02-30', '25/12/2026'] })).toEqual([
      'holiday "2026-02-30" is not a date written YYYY-MM-DD',
      'holiday "25/12/2026" is not a date written YYYY-MM-DD',
    ])
  })
})

describe('business time, for any schedule', () => {
  const clock = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
  /** Up to 6 intervals on quarter hours, often in the small hours, where clocks change. */
  const day = fc
    .uniqueArray(fc.oneof(fc.integer({ min: 0, max: 96 }), fc.integer({ min: 0, max: 16 })), { maxLength: 12 })
    .map((quarters) => quarters.sort((a, b) => a - b).map((q) => clock(q * 15)))
    .map((times) => Array.from({ length: Math.floor(times.length / 2) }, (_, i) => ({ from: times[2 * i]!, to: times[2 * i + 1]! })))
  /**
   * Zones whose clocks change by an hour, by half an hour (Lord Howe), at midnight (Santiago), not
   * at all, or that skipped a whole day (Apia, 2011-12-30), each with instants when its clock changed.
   */
  const ZONES: Record<string, string[]> = {
    'Europe/Berlin': ['2026-03-29T01:00Z', '2026-10-25T01:00Z'],
    'America/New_York': ['2026-03-08T07:00Z', '2026-11-01T06:00Z'],
    'Australia/Lord_Howe': ['2026-04-04T15:00Z', '2026-10-03T15:30Z'],
    'America/Santiago': ['2026-04-05T03:00Z', '2026-09-06T04:00Z'],
    'Pacific/Apia': ['2011-12-30T10:00Z'],
    'Asia/Kolkata': ['2026-03-29T01:00Z'],
    UTC: ['2026-03-29T01:00Z'],
  }
  const holidays = ['2011-12-29', '2011-12-31', '2026-03-08', '2026-03-29', '2026-04-04', '2026-04-05', '2026-10-25', '2026-12-25']
  const scheduleIn = (timeZone: string) =>
    fc
      .record({ week: fc.record(Object.fromEntries(WEEKDAYS.map((d) => [d, day])) as Record<(typeof WEEKDAYS)[number], typeof day>), holidays: fc.subarray(holidays) })
      .map((input) => BusinessHours.parse({ ...input, timeZone }))
  const instantNear = (changes: string[]) =>
    fc.oneof(
      fc.integer({ min: at('2011-12-01T00:00Z'), max: at('2027-12-31T00:00Z') }),
      fc.tuple(fc.constantFrom(...changes.map(at)), fc.integer({ min: -2 * 24 * HOUR, max: 2 * 24 * HOUR })).map(([change, shift]) => change + shift),
    )
  const span = fc.oneof(fc.integer({ min: 1, max: 3 * HOUR }), fc.integer({ min: 1, max: 20 * 24 * HOUR }))
  const cases = fc.constantFrom(...Object.entries(ZONES)).chain(([zone, changes]) =>
    fc.record({
      hours: scheduleIn(zone),
      instants: fc.tuple(instantNear(changes), span, span).map(([from, a, b]) => [from, from + a, from + a + b] as const),
    }),
  )

  it('adds up over consecutive waits and never exceeds calendar time', () => {
    fc.assert(
      fc.property(cases, ({ hours, instants: [from, mid, to] }) => {
        const whole = businessMillisBetween(hours, from, to)
        expect(whole).toBe(businessMillisBetween(hours, from, mid) + businessMillisBetween(hours, mid, to))
        expect(whole).toBeGreaterThanOrEqual(0)
        expect(whole).toBeLessThanOrEqual(to - from)
        expect(businessMillisBetween(null, from, to)).toBe(to - from)
      }),
      { numRuns: 300 },
    )
  }, 20_000)

  it('finds the earliest instant so much business time after another, as businessMillisBetween measures it', () => {
    fc.assert(
      fc.property(cases, ({ hours, instants: [from, mid] }) => {
        const ms = businessMillisBetween(hours, from, mid)
        const due = addBusinessMillis(hours, from, ms)
        expect(due).not.toBeNull()
        expect(due!).toBeLessThanOrEqual(mid)
        expect(businessMillisBetween(hours, from, due!)).toBe(ms)
        if (ms > 0) expect(businessMillisBetween(hours, from, due! - 1)).toBe(ms - 1)
      }),
      { numRuns: 300 },
    )
  }, 20_000)

  it('counts each quarter hour around a change of the clock as wholly open or wholly closed, as isWithinBusinessHours says', () => {
    // Intervals start and end on quarter hours and clocks change on them, so an interval counted
    // twice or an opening after the next closing would show as a quarter hour counted wrong.
    const QUARTER = 15 * MINUTE
    const around = fc.constantFrom(...Object.entries(ZONES)).chain(([zone, changes]) => fc.record({ hours: scheduleIn(zone), change: fc.constantFrom(...changes.map(at)) }))
    fc.assert(
      fc.property(around, ({ hours, change }) => {
        const from = change - 24 * HOUR
        const to = change + 24 * HOUR
        let sum = 0
        for (let quarter = from; quarter < to; quarter += QUARTER) {
          const open = businessMillisBetween(hours, quarter, quarter + QUARTER)
          expect(open === 0 || open === QUARTER).toBe(true)
          expect(isWithinBusinessHours(hours, quarter)).toBe(open === QUARTER)
          sum += open
        }
        expect(sum).toBe(businessMillisBetween(hours, from, to))
      }),
      { numRuns: 30 },
    )
  }, 20_000)
})
