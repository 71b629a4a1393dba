import type { ReportFigures } from '../../../../../shared/ipc'
import type { Medians } from '../../../../../shared/reporting/metrics'

/** Which clock durations are read on: every hour, or the inbox's business hours only. */
export type Hours = keyof Medians

/** Whether anything the report counts happened in its range: with nothing, the screen says so rather than show rows of zeros. */
export function hasActivity(report: ReportFigures): boolean {
  return (
    report.created > 0 ||
    report.resolved > 0 ||
    report.firstResponse.samples > 0 ||
    report.reopens.reopened > 0 ||
    report.csat.answers > 0 ||
    report.csat.surveys > 0 ||
    report.agents.length > 0 ||
    report.switching.customers > 0
  )
}
