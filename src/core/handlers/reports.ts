import { DateTime } from 'luxon'
import type { IpcHandlers, LiveConversation, ReportConversation } from '../../shared/ipc'
import { conversationRows, reportCsv } from '../../shared/reporting/csv'
import { REOPEN_HORIZON_MS, type ReportingEvent } from '../../shared/reporting/events'
import { computeLiveQueues, liveFigureConversations } from '../../shared/reporting/live-queues'
import { computeReport, type Report } from '../../shared/reporting/metrics'
import type { ReportQuery } from '../../shared/reporting/report-query'
import { hasRole } from '../../shared/roles'
import { conversationLabels, listedConversations, queuedConversations, reportingEventsBetween } from '../db/report-queries'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'
import { saveLocalFile } from './downloads'

type ReportMethods = 'reports.live' | 'reports.report' | 'reports.liveDrill' | 'reports.drill' | 'reports.exportCsv'

/**
 * Supervisors' dashboards, computed from the cache: instant, and readable offline as of the
 * last sync. Agents' caches hold no reporting events; they are refused rather than shown zeros.
 */
export function reportHandlers(ctx: HandlerContext, now: () => number = Date.now): Pick<IpcHandlers, ReportMethods> {
  async function supervisorOnly(): Promise<void> {
    const user = await ctx.engine.signedInUser(0)
    if (!user || !hasRole(user, 'supervisor')) throw new IpcError('bad_request', 'dashboards are for supervisors and admins')
  }

  /** The conversations behind one figure of the report, with what the cache knows of each. */
  function drill(query: ReportQuery, key: string): { events: ReportingEvent[]; rows: ReportConversation[] } {
    const { report, events } = reportFromCache(ctx, query)
    const ids = report.drill[key]
    if (!ids) throw new IpcError('not_found', `no figure "${key}" in this report`)
    const listed = listedConversations(ctx.db, ids)
    const rows = conversationRows(events, ids, query.timeZone).rows.map((row): ReportConversation => {
      const conversation = listed.get(row.id)
      return { ...row, customerName: conversation?.customerName ?? null, subject: conversation?.subject ?? null, status: conversation?.status ?? null }
    })
    return { events, rows }
  }

  return {
    'reports.live': async () => {
      await supervisorOnly()
      return computeLiveQueues(queuedConversations(ctx.db), now())
    },
    'reports.liveDrill': async (figure) => {
      await supervisorOnly()
      const conversations = liveFigureConversations(queuedConversations(ctx.db), figure)
      const listed = listedConversations(ctx.db, conversations.map((c) => c.id))
      return conversations.map(
        (c): LiveConversation => ({
          conversationId: c.id,
          customerId: c.customerId,
          customerName: listed.get(c.id)?.customerName ?? null,
          subject: listed.get(c.id)?.subject ?? null,
          channel: c.channel,
          inbox: c.inbox,
          status: c.status,
          assigneeId: c.assigneeId,
          waitingSince: c.waitingSince,
        }),
      )
    },
    'reports.report': async (query) => {
      await supervisorOnly()
      const { drill: _drill, ...figures } = reportFromCache(ctx, query).report
      return { report: figures, asOf: ctx.engine.state().lastSyncedAt }
    },
    'reports.drill': async ({ query, key }) => {
      await supervisorOnly()
      return { timeZone: query.timeZone, rows: drill(query, key).rows }
    },
    'reports.exportCsv': async ({ query, key }) => {
      await supervisorOnly()
      const { rows } = drill(query, key)
      const day = (at: number): string => DateTime.fromMillis(at, { zone: query.timeZone }).toISODate() ?? 'range'
      const name = `threadline-report-${key.replace(/[^\w.-]+/g, '-')}-${day(query.from)}-to-${day(query.to - 1)}.csv`
      return saveLocalFile(name, reportCsv({ timeZone: query.timeZone, rows }))
    },
  }
}

/** The report with its drill-downs, from the events of the range and a week either side: what came before and after decides first-contact resolutions and switches. */
export function reportFromCache(ctx: Pick<HandlerContext, 'db'>, query: ReportQuery): { report: Report; events: ReportingEvent[] } {
  const events = reportingEventsBetween(ctx.db, query.from - REOPEN_HORIZON_MS, query.to + REOPEN_HORIZON_MS)
  const labels = query.filters?.labels ? conversationLabels(ctx.db, new Set(events.map((e) => e.conversationId))) : new Map()
  return { report: computeReport(events, labels, query), events }
}
