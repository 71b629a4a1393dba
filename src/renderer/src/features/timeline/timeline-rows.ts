import type { Conversation } from '../../../../shared/domain'
import type { TimelineItem } from '../../../../shared/ipc'
import { dayKey } from '../../lib/format'

/**
 * The flat list the virtualized timeline renders: day dividers, thread headers and items.
 * Consecutive items of one conversation form a thread (an email thread, a chat session, an
 * SMS exchange, a call); a new day starts a new header so a thread's context is never off-screen.
 */
export type TimelineRow =
  | { type: 'day'; key: string; at: number }
  | { type: 'thread'; key: string; conversationId: string; conversation: Conversation | null; at: number }
  | { type: 'item'; key: string; entry: TimelineItem }

export const itemKey = (entry: TimelineItem): string => `${entry.kind}:${entry.item.id}`

/**
 * The merge a "customers merged" event records. A merge writes one event into every
 * conversation it moves, so each travels back with its conversation on an undo; the customer's
 * timeline says it once.
 */
function mergeIdOf(entry: TimelineItem): string | null {
  if (entry.kind !== 'event' || entry.item.type !== 'customer_merged') return null
  const id = entry.item.data.mergeId
  return typeof id === 'string' ? id : null
}

export function timelineRows(items: readonly TimelineItem[], conversations: readonly Conversation[]): TimelineRow[] {
  const byId = new Map(conversations.map((c) => [c.id, c]))
  const rows: TimelineRow[] = []
  const mergesShown = new Set<string>()
  let previous: TimelineItem | undefined
  for (const entry of items) {
    const mergeId = mergeIdOf(entry)
    if (mergeId !== null) {
      if (mergesShown.has(mergeId)) continue
      mergesShown.add(mergeId)
    }
    const newDay = !previous || dayKey(previous.at) !== dayKey(entry.at)
    if (newDay) rows.push({ type: 'day', key: `day:${dayKey(entry.at)}`, at: entry.at })
    // A summary with no conversation (none is placed in the timeline today) stays in the thread before it.
    const conversationId = entry.item.conversationId ?? previous?.item.conversationId ?? ''
    if (newDay || previous?.item.conversationId !== conversationId) {
      rows.push({ type: 'thread', key: `thread:${itemKey(entry)}`, conversationId, conversation: byId.get(conversationId) ?? null, at: entry.at })
    }
    rows.push({ type: 'item', key: itemKey(entry), entry })
    previous = entry
  }
  return rows
}
