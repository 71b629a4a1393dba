import type { Database } from 'better-sqlite3'
import { DateTime } from 'luxon'
import type { IpcHandlers, ReportConversation } from '../../shared/ipc'
import { conversationRowsOverColumns, reportCsv } from '../../shared/reporting/csv'
import { REOPEN_HORIZON_MS } from '../../shared/reporting/events'
import { reportOverColumns, type Report } from '../../shared/reporting/metrics'
import type { EventColumns } from '../../shared/reporting/event-columns'
import type { ReportQuery } from '../../shared/reporting/report-query'
import { hasRole } from '../../shared/roles'
import { conversationLabels, listedConversations, liveFigureList, liveQueues } from '../db/report-queries'
import type { CachedEventColumns } from '../db/reporting-columns'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'
import { saveLocalFile } from './downloads'

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
  function report(query: ReportQuery): ReturnType<typeof reportFromCache> {
    const columns = events.current()
    const key = JSON.stringify(query)
    // Events only ever join the columns in place (a longer length) or replace them; labels are read from the conversations.
    if (last !== null && last.query === key && last.columns === columns && last.length === columns.length && !query.filters?.labels) return last.result
    const result = reportFromCache(ctx.db, columns, query)
    last = { query: key, columns, length: columns.length, result }
    return result
  }

  /** The conversations behind one figure of the report, with what the cache knows of each. */
  function drill(query: ReportQuery, key: string): ReportConversation[] {
    const { report: figures, window } = report(query)
    const ids = figures.drill[key]
    if (!ids) throw new IpcError('not_found', `no figure "${key}" in this report`)
    const listed = listedConversations(ctx.db, ids)
    // Tens of thousands of rows for a busy figure: each is written out whole, which costs a fraction of spreading one into another.
    return conversationRowsOverColumns(window.columns, window.lo, window.hi, ids, query.timeZone).rows.map((row): ReportConversation => {
      const conversation = listed.get(row.id)
      return {
        id: row.id,
        customerId: row.customerId,
        inbox: row.inbox,
        team: row.team,
        channel: row.channel,
        agentId: row.agentId,
        createdAt: row.createdAt,
        firstResponseCalendarMs: row.firstResponseCalendarMs,
        firstResponseBusinessMs: row.firstResponseBusinessMs,
        resolutionCalendarMs: row.resolutionCalendarMs,
        resolutionBusinessMs: row.resolutionBusinessMs,
        reopened: row.reopened,
        csatSurveyed: row.csatSurveyed,
        csatRating: row.csatRating,
        customerName: conversation?.customerName ?? null,
        subject: conversation?.subject ?? null,
        status: conversation?.status ?? null,
      }
    })
  }

  return {
    'reports.live': async () => {
      await supervisorOnly()
      return liveQueues(ctx.db, now())
    },
    'reports.liveDrill': async (figure) => {
      await supervisorOnly()
      return liveFigureList(ctx.db, figure, now())
    },
    'reports.report': async (query) => {
      await supervisorOnly()
      const { drill: _drill, ...figures } = report(query).report
      return { report: figures, asOf: ctx.engine.state().lastSyncedAt }
    },
    'reports.drill': async ({ query, key }) => {
      await supervisorOnly()
      return { timeZone: query.timeZone, rows: drill(query, key) }
    },
    'reports.exportCsv': async ({ query, key }) => {
      await supervisorOnly()
      const rows = drill(query, key)
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
): { report: Report; window: { columns: EventColumns; lo: number; hi: number } } {
  const lo = columns.lowerBound(query.from - REOPEN_HORIZON_MS)
  const hi = columns.lowerBound(query.to + REOPEN_HORIZON_MS)
  const labels = query.filters?.labels ? conversationLabels(db, conversationsBetween(columns, lo, hi)) : new Map()
  return { report: reportOverColumns(columns, lo, hi, labels, query), window: { columns, lo, hi } }
}

function conversationsBetween(columns: EventColumns, lo: number, hi: number): Set<string> {
  const ids = new Set<string>()
  for (let i = lo; i < hi; i++) ids.add(columns.dictionaries.conversations.values[columns.conversation[i]!]!)
  return ids
}
