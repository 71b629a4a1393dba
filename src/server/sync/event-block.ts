import { packEventBlock } from '../../shared/reporting/event-block'
import type { ReportingEvent } from '../../shared/reporting/events'
import type { Change, PullResponse, SentPullResponse } from '../../shared/sync'

/**
 * A pull page with its reporting events as one block (`PullRequest.eventBlock`). An event with
 * more than one change in the page (written, then erased) keeps its changes, in order, so the
 * block never holds an event beside a change of the same event. Sent packed (`PackedPullResponse`).
 */
export function withEventBlock(page: Omit<PullResponse, 'eventBlock'>): SentPullResponse {
  const changesOf = new Map<string, number>()
  for (const c of page.changes) if (c.entity === 'reportingEvent') changesOf.set(c.id, (changesOf.get(c.id) ?? 0) + 1)
  if (changesOf.size === 0) return page
  const changes: Change[] = []
  const events: ReportingEvent[] = []
  for (const c of page.changes) {
    if (c.entity === 'reportingEvent' && c.op === 'upsert' && c.data !== null && changesOf.get(c.id) === 1) events.push(c.data as ReportingEvent)
    else changes.push(c)
  }
  const rest = new TextEncoder().encode(JSON.stringify({ changes, cursor: page.cursor, hasMore: page.hasMore }))
  return { page: rest, eventBlock: packEventBlock(events) }
}
