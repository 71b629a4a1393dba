import { describe, expect, it } from 'vitest'
import { rangeDays, rangeOf, reportQuery } from './report-range'

const NOW = Date.UTC(2026, 2, 30, 10) // Monday 30 March 2026, 12:00 in Berlin (summer time since the 29th)

describe('rangeOf', () => {
  it('reads a preset in the viewer’s zone', () => {
    expect(rangeOf({ preset: 'today' }, 'Europe/Berlin', NOW)).toEqual({ from: Date.UTC(2026, 2, 29, 22), to: Date.UTC(2026, 2, 30, 22) })
  })

  it('covers whole local days from the first date to the last, both included, across a change of the clocks', () => {
    // 28 March is on winter time (UTC+1), 29 March changes to summer time (UTC+2).
    expect(rangeOf({ from: '2026-03-28', to: '2026-03-29' }, 'Europe/Berlin', NOW)).toEqual({ from: Date.UTC(2026, 2, 27, 23), to: Date.UTC(2026, 2, 29, 22) })
  })

  it('says why a custom range covers nothing', () => {
    expect(rangeOf({ from: '2026-03-28', to: '' }, 'Europe/Berlin', NOW)).toEqual({ error: 'Pick both dates.' })
    expect(rangeOf({ from: '2026-03-28', to: '2026-03-27' }, 'Europe/Berlin', NOW)).toEqual({ error: expect.stringMatching(/end on or after/) })
    expect(rangeOf({ from: '2024-01-01', to: '2026-03-27' }, 'Europe/Berlin', NOW)).toEqual({ error: expect.stringMatching(/at most 400 days/) })
  })
})

describe('rangeDays', () => {
  it('gives the first and the last day, not the exclusive end', () => {
    expect(rangeDays({ from: Date.UTC(2026, 2, 27, 23), to: Date.UTC(2026, 2, 29, 22) }, 'Europe/Berlin')).toEqual({ from: '2026-03-28', to: '2026-03-29' })
  })
})

describe('reportQuery', () => {
  it('leaves out filters that hold nothing', () => {
    const range = { from: 1, to: 2 }
    expect(reportQuery(range, 'UTC', { inboxes: [], channels: ['sms'] })).toEqual({ from: 1, to: 2, timeZone: 'UTC', filters: { channels: ['sms'] } })
    expect(reportQuery(range, 'UTC', { labels: [] })).toEqual({ from: 1, to: 2, timeZone: 'UTC' })
  })
})
