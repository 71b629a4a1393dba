import type { User } from '../../shared/domain'
import { computeLiveQueues, queuedConversation, type LiveQueues } from '../../shared/reporting/live-queues'
import { computeReport, type Report } from '../../shared/reporting/metrics'
import { conversationRows, wrapUpIds, wrapUpTexts, type ConversationRows } from '../../shared/reporting/csv'
import { REOPEN_HORIZON_MS, type ReportingEvent } from '../../shared/reporting/events'
import type { ReportQuery } from '../../shared/reporting/report-query'
import { canSeeInbox, scopeOf } from '../sync/access'
import type { StoreReader } from '../store/store'

/**
 * The report for `query` over the inboxes the user may see: the same computation the client
 * core runs over its cache (shared/reporting/metrics.ts), over the store's events.
 */
export async function reportFromStore(store: StoreReader, user: User, query: ReportQuery): Promise<{ report: Report; events: ReportingEvent[] }> {
  const events = await store.reportingEventsBetween(query.from - REOPEN_HORIZON_MS, query.to + REOPEN_HORIZON_MS, scopeOf(user))
  const labels = new Map<string, { labels: string[] }>()
  if (query.filters?.labels) {
    for (const id of new Set(events.map((e) => e.conversationId))) {
      const conversation = await store.getConversation(id)
      if (conversation) labels.set(id, { labels: conversation.labels })
    }
  }
  return { report: computeReport(events, labels, query), events }
}

/** The conversations behind one figure of the report (null: the report has no such figure). */
export async function reportConversations(store: StoreReader, user: User, query: ReportQuery, key: string): Promise<ConversationRows | null> {
  const { report, events } = await reportFromStore(store, user, query)
  const ids = report.drill[key]
  if (!ids) return null
  const found = conversationRows(events, ids, query.timeZone)
  // A wrap-up read what its conversation held; it goes only to who may see every inbox it read.
  const wrapUps = wrapUpTexts((await store.getSummaries(wrapUpIds(found.rows))).filter((s) => s.inboxes.every((inbox) => canSeeInbox(user, inbox))))
  for (const row of found.rows) row.wrapUp = wrapUps.get(row.id) ?? null
  return found
}

export async function liveQueuesFromStore(store: StoreReader, user: User, now: number): Promise<LiveQueues> {
  return computeLiveQueues((await store.unresolvedConversations(scopeOf(user))).map(queuedConversation), now)
}
