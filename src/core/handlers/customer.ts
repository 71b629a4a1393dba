import type { Database } from 'better-sqlite3'
import type { IpcHandlers, TimelineItem, TimelinePage } from '../../shared/ipc'
import {
  getCustomer,
  listCustomerConversations,
  listIdentities,
  listTimeline,
  listTimelineAfter,
  outboxStatesForItems,
  type TimelineRow,
} from '../db/queries'
import { entityFromRow } from '../db/entity-json'
import type { HandlerContext } from './context'
import { reportTimelineOpened } from '../sync/timeline-views'

export function customerHandlers(
  ctx: HandlerContext,
  now: () => number = Date.now,
): Pick<IpcHandlers, 'customer.get' | 'customer.timeline' | 'customer.opened'> {
  return {
    'customer.get': ({ customerId }) => {
      const customer = getCustomer(ctx.db, customerId)
      if (!customer) return null
      return {
        customer,
        identities: listIdentities(ctx.db, customerId),
        conversations: listCustomerConversations(ctx.db, customerId),
      }
    },
    'customer.timeline': ({ customerId, limit, before, after, until }) => {
      if (after) return timelinePage(ctx.db, listTimelineAfter(ctx.db, { customerId, limit, after }), limit, 'after')
      // A date is the page ending at that time; '' sorts before every id, so that instant itself is included.
      const older = before ?? (until !== undefined ? { at: until + 1, id: '' } : undefined)
      const rows = listTimeline(ctx.db, { customerId, limit, before: older })
      if (until !== undefined && rows.length === 0) {
        // A date before the customer's first item: the nearest page is their oldest one.
        return timelinePage(ctx.db, listTimelineAfter(ctx.db, { customerId, limit, after: { at: until, id: '' } }), limit, 'after')
      }
      return timelinePage(ctx.db, rows, limit, until !== undefined ? 'date' : 'latest')
    },
    'customer.opened': ({ customerId }) => {
      const reported = reportTimelineOpened(ctx.db, customerId, now())
      if (reported) ctx.engine.schedulePush()
      return { reported }
    },
  }
}

/**
 * `latest` and `date` pages run newest first and continue with older items; an `after` page
 * runs oldest first and continues with newer ones. The latest page has nothing newer; a page
 * ending at a chosen date may have.
 */
function timelinePage(db: Database, rows: TimelineRow[], limit: number, mode: 'latest' | 'date' | 'after'): TimelinePage {
  const outbox = outboxStatesForItems(
    db,
    rows.filter((r) => r.kind === 'message' || r.kind === 'note').map((r) => r.id),
  )
  const items = rows.map((row): TimelineItem => {
    switch (row.kind) {
      case 'message':
        return { kind: 'message', at: row.at, item: entityFromRow('message', row), outbox: outbox.get(row.id) ?? null }
      case 'note':
        return { kind: 'note', at: row.at, item: entityFromRow('note', row), outbox: outbox.get(row.id) ?? null }
      case 'call':
        return { kind: 'call', at: row.at, item: entityFromRow('call', row), outbox: null }
      case 'event':
        return { kind: 'event', at: row.at, item: entityFromRow('event', row), outbox: null }
      case 'summary':
        return { kind: 'summary', at: row.at, item: entityFromRow('summary', row), outbox: null }
    }
  })
  const cursor = (row: TimelineRow | undefined) => (row ? { at: row.at, id: row.id } : null)
  const full = rows.length === limit
  if (mode === 'after') return { items, before: null, after: full ? cursor(rows.at(-1)) : null }
  return { items, before: full ? cursor(rows.at(-1)) : null, after: mode === 'date' ? cursor(rows[0]) : null }
}
