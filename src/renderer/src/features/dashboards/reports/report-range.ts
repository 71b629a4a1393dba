import { DateTime } from 'luxon'
import { MAX_REPORT_DAYS, REPORT_PRESETS, type ReportFilters, type ReportPreset, type ReportQuery, type ReportRange } from '../../../../../shared/reporting/report-query'

/** The span a supervisor picked: a preset, or whole local days from one date to another, both included. */
export type RangeChoice = { preset: ReportPreset } | { from: string; to: string }

export const DEFAULT_RANGE: RangeChoice = { preset: 'last7Days' }

/** The zone the viewer's clock shows: report days and hours are read in it. */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone
}

/** The range a choice covers at `now`, or why it covers none. */
export function rangeOf(choice: RangeChoice, timeZone: string, now: number): ReportRange | { error: string } {
  if ('preset' in choice) return REPORT_PRESETS[choice.preset].range(timeZone, now)
  const from = DateTime.fromISO(choice.from, { zone: timeZone }).startOf('day')
  const last = DateTime.fromISO(choice.to, { zone: timeZone }).startOf('day')
  if (!from.isValid || !last.isValid) return { error: 'Pick both dates.' }
  if (last < from) return { error: 'The range must end on or after the day it starts.' }
  const to = last.plus({ days: 1 })
  if (to.diff(from, 'days').days > MAX_REPORT_DAYS) return { error: `A report covers at most ${MAX_REPORT_DAYS} days.` }
  return { from: from.toMillis(), to: to.toMillis() }
}

/** The first and last days of a range as date inputs hold them, so a custom range starts from what is shown. */
export function rangeDays(range: ReportRange, timeZone: string): { from: string; to: string } {
  const day = (at: number) => DateTime.fromMillis(at, { zone: timeZone }).toISODate() ?? ''
  return { from: day(range.from), to: day(range.to - 1) }
}

/** The query for a range and filters, leaving out the filters that hold nothing (an empty one would match nothing). */
export function reportQuery(range: ReportRange, timeZone: string, filters: ReportFilters): ReportQuery {
  const chosen = Object.fromEntries(Object.entries(filters).filter(([, values]) => values && values.length > 0)) as ReportFilters
  return { from: range.from, to: range.to, timeZone, ...(Object.keys(chosen).length > 0 ? { filters: chosen } : {}) }
}
