import type { Database } from 'better-sqlite3'
import { DateTime } from 'luxon'
import type { IpcHandlers } from '../../shared/ipc'
import { reportCsv } from '../../shared/reporting/csv'
import { REOPEN_HORIZON_MS } from '../../shared/reporting/events'
import { ReportMemory, reportOverColumns, type Report } from '../../shared/reporting/metrics'
import type { EventColumns } from '../../shared/reporting/event-columns'
import type { ReportQuery } from '../../shared/reporting/report-query'
import { hasRole } from '../../shared/roles'
import { conversationLabels, liveFigurePage, liveQueues } from '../db/report-queries'
import type { CachedEventColumns } from '../db/reporting-columns'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'
import { saveLocalFile } from './downloads'
import { DrillLists, type ReportWindow } from './report-drill'

type ReportMethods = 'reports.live' | 'reports.report' | 'reports.liveDrill' | 'reports.drill' | 'reports.exportCsv'

/**
 * Supervisors' dashboards, computed from the cache: instant, and readable offline as of the
 * last sync. Agents' caches hold no reporting events; they are refused rather than shown zeros.
 */
export function reportHandlers(ctx: HandlerContext, events: CachedEventColumns, now: () => number = Date.now): Pick<IpcHandlers, ReportMethods> {
  async function supervisorOnly(): Promise<void> {
    const user = await ctx.engine.signedInUser(0)
    if (!user || !hasRole(user, 'supervisor')) throw new IpcError('bad_request', 'dashboards are for supervisors and admins')
  }

  // The last report computed: its figures are on screen, and the drill-downs a supervisor opens read it again.
  let last: { query: string; columns: EventColumns; length: number; result: ReturnType<typeof reportFromCache> } | null = null
  // Only the last report is read again, so every report is made in the same memory (it replaces the one before).
  const memory = new ReportMemory()
  function report(query: ReportQuery): ReturnType<typeof reportFromCache> {
    const columns = events.current()
    const key = JSON.stringify(query)
    // Events only ever join the columns in place (a longer length) or replace them; labels are read from the conversations.
    if (last !== null && last.query === key && last.columns === columns && last.length === columns.length && !query.filters?.labels) return last.result
    last = null
    const result = reportFromCache(ctx.db, columns, query, memory)
    last = { query: key, columns, length: columns.length, result }
    return result
  }

  const drills = new DrillLists(ctx.db)

  return {
    'reports.live': async () => {
      await supervisorOnly()
      return liveQueues(ctx.db, now())
    },
    'reports.liveDrill': async ({ offset, limit, ...figure }) => {
      await supervisorOnly()
      return liveFigurePage(ctx.db, figure, { offset, limit }, now())
    },
    'reports.report': async (query) => {
      await supervisorOnly()
      const computed = report(query)
      drills.warm(computed.window)
      const { drill: _drill, ...figures } = computed.report
      return { report: figures, asOf: ctx.engine.state().lastSyncedAt }
    },
    'reports.drill': async ({ query, key, sort, offset, limit }) => {
      await supervisorOnly()
      return { timeZone: query.timeZone, ...drills.page(report(query).window, key, query.timeZone, sort, { offset, limit }) }
    },
    'reports.exportCsv': async ({ query, key }) => {
      await supervisorOnly()
      const rows = drills.all(report(query).window, key, query.timeZone)
      const day = (at: number): string => DateTime.fromMillis(at, { zone: query.timeZone }).toISODate() ?? 'range'
      const name = `threadline-report-${key.replace(/[^\w.-]+/g, '-')}-${day(query.from)}-to-${day(query.to - 1)}.csv`
      return saveLocalFile(name, reportCsv({ timeZone: query.timeZone, rows }))
    },
  }
}

/**
 * The report with its drill-downs, from the events of the range and a week either side: what came
 * before and after decides first-contact resolutions and switches. `window` is those events.
 */
export function reportFromCache(
  db: Database,
  columns: EventColumns,
  query: ReportQuery,
  memory?: ReportMemory,
): { report: Report; window: ReportWindow } {
  const lo = columns.lowerBound(query.from - REOPEN_HORIZON_MS)
  const hi = columns.lowerBound(query.to + REOPEN_HORIZON_MS)
  const labels = query.filters?.labels ? conversationLabels(db, conversationsBetween(columns, lo, hi)) : new Map()
  const report = reportOverColumns(columns, lo, hi, labels, query, memory)
  return { report, window: { columns, lo, hi, drill: report.drill } }
}

function conversationsBetween(columns: EventColumns, lo: number, hi: number): Set<string> {
  const ids = new Set<string>()
  for (let i = lo; i < hi; i++) ids.add(columns.dictionaries.conversations.values[columns.conversation[i]!]!)
  return ids
}
