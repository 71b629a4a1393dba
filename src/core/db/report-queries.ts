import type { Database } from 'better-sqlite3'
import type { Conversation } from '../../shared/domain'
import type { QueuedConversation } from '../../shared/reporting/live-queues'

/**
 * What supervisors' dashboards read from the cache besides the reporting events
 * (reporting-columns.ts): labels, the conversations not resolved, what a list shows of each.
 */

/** The labels of these conversations, for a report filtered by label; one not cached is left out. */
export function conversationLabels(db: Database, ids: Iterable<string>): Map<string, { labels: string[] }> {
  const read = db.prepare(`SELECT json_extract(json, '$.labels') FROM conversations WHERE id = ?`).pluck()
  const out = new Map<string, { labels: string[] }>()
  for (const id of ids) {
    const labels = read.get(id) as string | undefined
    if (labels !== undefined) out.set(id, { labels: JSON.parse(labels) as string[] })
  }
  return out
}

/** Every conversation not resolved, as the live queues read them. */
export function queuedConversations(db: Database): (QueuedConversation & Pick<Conversation, 'lastMessageAt'>)[] {
  return (
    db
      .prepare(
        `SELECT id, customer_id, channel, json_extract(json, '$.inbox'), team, status, assignee_id, json_extract(json, '$.waitingSince'), last_message_at
         FROM conversations WHERE status <> 'resolved'`,
      )
      .raw()
      .all() as [string, string, Conversation['channel'], string, string | null, Conversation['status'], string | null, number | null, number][]
  ).map(([id, customerId, channel, inbox, team, status, assigneeId, waitingSince, lastMessageAt]) => ({
    id,
    customerId,
    channel,
    inbox,
    team,
    status,
    assigneeId,
    waitingSince,
    lastMessageAt,
  }))
}

/** What a dashboard list shows of each of these conversations (one read for all of them), by id; one not cached is left out. */
export function listedConversations(db: Database, ids: readonly string[]): Map<string, ListedConversation> {
  const rows = db
    .prepare(
      `SELECT c.id, json_extract(c.json, '$.subject'), c.status, k.name
       FROM conversations c LEFT JOIN customers k ON k.id = c.customer_id
       WHERE c.id IN (SELECT value FROM json_each(?))`,
    )
    .raw()
    .all(JSON.stringify(ids)) as [string, string | null, Conversation['status'], string | null][]
  return new Map(rows.map(([id, subject, status, customerName]) => [id, { subject, status, customerName }]))
}

export interface ListedConversation {
  subject: string | null
  status: Conversation['status']
  customerName: string | null
}
