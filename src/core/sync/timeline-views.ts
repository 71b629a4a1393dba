import type { Database } from 'better-sqlite3'
import { MUTATION_ARGS } from '../../shared/mutations'
import { listOutboxByName } from '../db/queries'
import { enqueueAction } from './outbox'

/**
 * Opening a customer's timeline reads only this device's cache, so the device tells the server,
 * for the audit log, through the outbox: a view made offline reaches it on reconnect with the
 * time it was made. Switching back and forth between customers is one view per customer per
 * window on this device, not one per glance.
 */

export const TIMELINE_VIEW_WINDOW_MS = 10 * 60_000

/** When each customer's timeline was last reported from this cache (per database: one per signed-in device). */
const lastReported = new WeakMap<Database, Map<string, number>>()

/** Queues the report of a timeline opened at `now`, unless this device reported the customer within the window; true when queued. */
export function reportTimelineOpened(db: Database, customerId: string, now: number): boolean {
  let reported = lastReported.get(db)
  if (!reported) {
    reported = new Map()
    lastReported.set(db, reported)
  }
  // A report still in the outbox also counts: it survives a restart, the map does not.
  const queued = listOutboxByName(db, ['timelineOpened'])
    .map((row) => MUTATION_ARGS.timelineOpened.parse(row.args))
    .filter((args) => args.customerId === customerId)
    .map((args) => args.openedAt)
  const last = Math.max(reported.get(customerId) ?? -Infinity, ...queued)
  if (now - last < TIMELINE_VIEW_WINDOW_MS && now >= last) return false
  enqueueAction(db, { name: 'timelineOpened', args: { customerId, openedAt: now }, conversationId: '', itemId: null }, now)
  reported.set(customerId, now)
  return true
}
