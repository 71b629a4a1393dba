import type { Database } from 'better-sqlite3'
import type { Conversation, ConversationStatus, Summary } from '../../shared/domain'
import type { LiveConversation } from '../../shared/ipc'
import type { Channel } from '../../shared/primitives'
import type { Page } from '../../shared/reporting/drill-pages'
import {
  LONGEST_WAITS,
  liveQueuesOfGroups,
  SLA_AT_RISK_MS,
  type LiveFigure,
  type LiveQueues,
  type QueueDimension,
  type QueueState,
} from '../../shared/reporting/live-queues'
import { entityColumns, entityFromRow, type PackedJson } from './entity-json'
import { NOT_DUE, NOT_WAITING } from './migrations'
import { stmt } from './statements'

/**
 * What supervisors' dashboards read from the cache besides the reporting events
 * (reporting-columns.ts): labels, the conversations not resolved, what a list shows of each.
 */

/** The labels of these conversations, for a report filtered by label; one not cached is left out. */
export function conversationLabels(db: Database, ids: Iterable<string>): Map<string, { labels: string[] }> {
  const read = db.prepare(`SELECT coalesce(json_extract(json, '$.labels'), '[]') FROM conversations WHERE id = ?`).pluck()
  const out = new Map<string, { labels: string[] }>()
  for (const id of ids) {
    const labels = read.get(id) as string | undefined
    if (labels !== undefined) out.set(id, { labels: JSON.parse(labels) as string[] })
  }
  return out
}

// Each of these repeats `status <> 'resolved'`: the condition of the live queues' partial indexes
// (migration 19), which SQLite uses only for a query that states it.

/** The live queues, counted by the cache's database from an index of the unresolved conversations. */
export function liveQueues(db: Database, asOf: number): LiveQueues {
  const groups = stmt(
    db,
    `SELECT c.channel, c.inbox, c.team, c.status, c.assignee_id, count(*), sum(c.wait_order < ${NOT_WAITING}), min(nullif(c.wait_order, ${NOT_WAITING})),
       sum(${FIGURE_STATES.slaAtRisk}), sum(${FIGURE_STATES.slaBreached})
     FROM conversations c WHERE c.status <> 'resolved'
     GROUP BY c.status, c.channel, c.inbox, c.team, c.assignee_id`,
  )
    .raw(true)
    .all({ now: asOf }) as [Channel, string, string | null, ConversationStatus, string | null, number, number, number | null, number, number][]
  // The first LONGEST_WAITS and every one tied with the last, which the shared code orders.
  const longestWaiting = stmt(
    db,
    `SELECT id, customer_id, channel, inbox, team, status, assignee_id, wait_order, nullif(sla_due, ${NOT_DUE})
     FROM conversations WHERE status <> 'resolved' AND status = 'open' AND wait_order < ${NOT_WAITING}
       AND wait_order <= coalesce((SELECT wait_order FROM conversations WHERE status <> 'resolved' AND status = 'open' AND wait_order < ${NOT_WAITING}
         ORDER BY wait_order LIMIT 1 OFFSET ${LONGEST_WAITS - 1}), ${NOT_WAITING})
     ORDER BY wait_order, id`,
  )
    .raw(true)
    .all() as [string, string, Channel, string, string | null, ConversationStatus, string | null, number, number | null][]
  return liveQueuesOfGroups(
    groups.map(([channel, inbox, team, status, assigneeId, count, waiting, longestWaitSince, slaAtRisk, slaBreached]) => ({
      channel,
      inbox,
      team,
      status,
      assigneeId,
      count,
      waiting,
      longestWaitSince,
      slaAtRisk,
      slaBreached,
    })),
    longestWaiting.map(([id, customerId, channel, inbox, team, status, assigneeId, waitingSince, slaDueAt]) => ({
      id,
      customerId,
      channel,
      inbox,
      team,
      status,
      assigneeId,
      waitingSince,
      slaDueAt,
    })),
    asOf,
  )
}

const FIGURE_STATES: Record<QueueState, string> = {
  open: `c.status = 'open'`,
  unassigned: `c.status = 'open' AND c.assignee_id IS NULL`,
  pending: `c.status = 'pending'`,
  snoozed: `c.status = 'snoozed'`,
  waiting: `c.status = 'open' AND c.wait_order < ${NOT_WAITING}`,
  // A conversation with no target unmet is due at NOT_DUE, far beyond any window.
  slaAtRisk: `c.sla_due > @now AND c.sla_due <= @now + ${SLA_AT_RISK_MS}`,
  slaBreached: 'c.sla_due <= @now',
}
const FIGURE_KEYS: Record<QueueDimension, string> = {
  all: '',
  channel: 'AND c.channel = @key',
  inbox: 'AND c.inbox = @key',
  team: `AND coalesce(c.team, '') = @key`,
}

/**
 * A page of the conversations behind one number of the live queues (`assigneeId`: that agent's
 * share of it), in the order of liveFigureConversations, which is the order of the list index.
 */
export function liveFigurePage(
  db: Database,
  figure: LiveFigure & { assigneeId?: string | undefined },
  page: { offset: number; limit: number },
  now: number,
): Page<LiveConversation> {
  const where = `c.status <> 'resolved' AND ${FIGURE_STATES[figure.state]} ${FIGURE_KEYS[figure.dimension]} ${figure.assigneeId === undefined ? '' : 'AND c.assignee_id = @assigneeId'}`
  const params = { key: figure.key, now, assigneeId: figure.assigneeId ?? null, offset: page.offset, limit: page.limit }
  const total = stmt(db, `SELECT count(*) FROM conversations c WHERE ${where}`).pluck(true).get(params) as number
  const rows = stmt(
    db,
    `SELECT c.id, c.customer_id, k.name, c.subject, c.channel, c.inbox, c.status, c.assignee_id, nullif(c.wait_order, ${NOT_WAITING})
     FROM conversations c LEFT JOIN customers k ON k.id = c.customer_id
     WHERE ${where} ORDER BY c.wait_order, c.id LIMIT @limit OFFSET @offset`,
  )
    .raw(true)
    .all(params) as [string, string, string | null, string | null, Channel, string, ConversationStatus, string | null, number | null][]
  return {
    total,
    offset: page.offset,
    rows: rows.map(([conversationId, customerId, customerName, subject, channel, inbox, status, assigneeId, waitingSince]) => ({
      conversationId,
      customerId,
      customerName,
      subject,
      channel,
      inbox,
      status,
      assigneeId,
      waitingSince,
    })),
  }
}

/** Those of these summaries the cache holds, as this device shows them. */
export function summariesById(db: Database, ids: readonly string[]): Summary[] {
  const rows = stmt(db, `SELECT ${entityColumns('summary')} FROM summaries WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as { json: PackedJson }[]
  return rows.map((row) => entityFromRow('summary', row))
}

/** What a dashboard list shows of each of these conversations (one read for all of them), by id; one not cached is left out. */
export function listedConversations(db: Database, ids: readonly string[]): Map<string, ListedConversation> {
  const rows = stmt(
    db,
    `SELECT c.id, c.subject, c.status, k.name
     FROM conversations c LEFT JOIN customers k ON k.id = c.customer_id
     WHERE c.id IN (SELECT value FROM json_each(?))`,
  )
    .raw(true)
    .all(JSON.stringify(ids)) as [string, string | null, Conversation['status'], string | null][]
  return new Map(rows.map(([id, subject, status, customerName]) => [id, { subject, status, customerName }]))
}

export interface ListedConversation {
  subject: string | null
  status: Conversation['status']
  customerName: string | null
}
