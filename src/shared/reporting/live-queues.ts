import { z } from 'zod'
import type { Conversation } from '../domain'
import { CHANNELS } from '../domain-values'
import { Channel, Id, Timestamp } from '../primitives'
import { slaUnmetDueAt } from './sla-due'

/**
 * The queues as they stand now, from the conversations themselves (not from reporting events):
 * what is open, unassigned, pending or snoozed, and who has waited longest, per channel, inbox
 * and team. The client core computes it from its cache at every change, the server from its store.
 */

const Count = z.number().int().nonnegative()

export const QueueCounts = z.object({
  open: Count,
  /** Open with nobody assigned. */
  unassigned: Count,
  pending: Count,
  snoozed: Count,
  /** Open, with the customer's last message unanswered. */
  waiting: Count,
  /** When the longest-waiting of them started waiting; null when nobody waits. */
  longestWaitSince: Timestamp.nullable(),
  /** Not resolved, with an SLA target due within SLA_AT_RISK_MS and not passed yet. */
  slaAtRisk: Count,
  /** Not resolved, with an SLA target passed unmet. */
  slaBreached: Count,
})
export type QueueCounts = z.infer<typeof QueueCounts>

export const QueueRow = z.object({ key: z.string(), counts: QueueCounts })
export type QueueRow = z.infer<typeof QueueRow>

export const LiveQueues = z.object({
  /** When these counts were taken (the cache's, which may be behind the server while offline). */
  asOf: Timestamp,
  totals: QueueCounts,
  byChannel: z.array(QueueRow),
  byInbox: z.array(QueueRow),
  /** Conversations of no team are under the key ''. */
  byTeam: z.array(QueueRow),
  /** The customers waiting now, longest first (at most LONGEST_WAITS). */
  longestWaits: z.array(
    z.object({ conversationId: Id, customerId: Id, channel: Channel, inbox: z.string(), since: Timestamp, assigneeId: Id.nullable() }),
  ),
  /** Open conversations per agent who holds any, by agent id. */
  openAssigned: z.array(z.object({ assigneeId: Id, open: Count })),
})
export type LiveQueues = z.infer<typeof LiveQueues>

export const LONGEST_WAITS = 10

/** How soon an SLA target falls due for its conversation to count as at risk: time for a supervisor to step in. */
export const SLA_AT_RISK_MS = 60 * 60_000

export const QUEUE_STATES = ['open', 'unassigned', 'pending', 'snoozed', 'waiting', 'slaAtRisk', 'slaBreached'] as const
export type QueueState = (typeof QUEUE_STATES)[number]
export const QUEUE_DIMENSIONS = ['all', 'channel', 'inbox', 'team'] as const
export type QueueDimension = (typeof QUEUE_DIMENSIONS)[number]

/** A number of the live queues to open the conversations behind: a state, within one row of a dimension. */
export const LiveFigure = z.object({
  dimension: z.enum(QUEUE_DIMENSIONS),
  /** The row's key (a channel, an inbox, a team, '' for no team); ignored for `all`. */
  key: z.string().max(200).default(''),
  state: z.enum(QUEUE_STATES),
})
export type LiveFigure = z.infer<typeof LiveFigure>

/** The slice of a conversation the queues read, with the due time of its earliest SLA target not met (slaUnmetDueAt). */
export type QueuedConversation = Pick<Conversation, 'id' | 'customerId' | 'channel' | 'inbox' | 'team' | 'status' | 'assigneeId' | 'waitingSince'> & {
  slaDueAt: number | null
}

export function queuedConversation(c: Conversation): QueuedConversation {
  const { id, customerId, channel, inbox, team, status, assigneeId, waitingSince } = c
  return { id, customerId, channel, inbox, team, status, assigneeId, waitingSince, slaDueAt: slaUnmetDueAt(c.sla) }
}

const emptyCounts = (): QueueCounts => ({ open: 0, unassigned: 0, pending: 0, snoozed: 0, waiting: 0, longestWaitSince: null, slaAtRisk: 0, slaBreached: 0 })

/** Whether the conversation counts in `state` at `now`. */
export function inQueueState(c: QueuedConversation, state: QueueState, now: number): boolean {
  switch (state) {
    case 'open':
      return c.status === 'open'
    case 'unassigned':
      return c.status === 'open' && c.assigneeId === null
    case 'waiting':
      return c.status === 'open' && c.waitingSince !== null
    case 'slaAtRisk':
      return c.status !== 'resolved' && c.slaDueAt !== null && c.slaDueAt > now && c.slaDueAt <= now + SLA_AT_RISK_MS
    case 'slaBreached':
      return c.status !== 'resolved' && c.slaDueAt !== null && c.slaDueAt <= now
    default:
      return c.status === state
  }
}

/** The row key of a conversation (or of a group of them) in a dimension. */
export function queueKey(c: Pick<QueuedConversation, 'channel' | 'inbox' | 'team'>, dimension: QueueDimension): string {
  switch (dimension) {
    case 'all':
      return ''
    case 'channel':
      return c.channel
    case 'inbox':
      return c.inbox
    case 'team':
      return c.team ?? ''
  }
}

/**
 * Conversations alike in everything the counts tell apart: how many, how many of them wait, and
 * since when the first of those. A cache counts its tens of thousands of conversations as a few
 * hundred groups that its database adds up, instead of reading each one.
 */
export interface QueueGroup extends Pick<QueuedConversation, 'channel' | 'inbox' | 'team' | 'status' | 'assigneeId'> {
  count: number
  /** Of `count`, those whose customer waits (waitingSince not null). */
  waiting: number
  longestWaitSince: number | null
  /** Of `count`, those at risk of an SLA breach and those breached, at the time the queues are taken. */
  slaAtRisk: number
  slaBreached: number
}

// The same states as inQueueState, over a group: the property test holds the two together.
function add(counts: QueueCounts, g: QueueGroup): void {
  if (g.status !== 'resolved') {
    counts.slaAtRisk += g.slaAtRisk
    counts.slaBreached += g.slaBreached
  }
  switch (g.status) {
    case 'open':
      counts.open += g.count
      if (g.assigneeId === null) counts.unassigned += g.count
      counts.waiting += g.waiting
      if (g.longestWaitSince !== null && (counts.longestWaitSince === null || g.longestWaitSince < counts.longestWaitSince)) {
        counts.longestWaitSince = g.longestWaitSince
      }
      return
    case 'pending':
    case 'snoozed':
      counts[g.status] += g.count
      return
    case 'resolved':
      return
  }
}

/**
 * Longest waiting first (those not waiting last), then by id in code-unit order, which is the
 * cache's index order: the order of longestWaits and of every figure's conversations.
 */
export function compareWaits(aSince: number | null, aId: string, bSince: number | null, bId: string): number {
  return (aSince ?? Infinity) - (bSince ?? Infinity) || (aId < bId ? -1 : aId > bId ? 1 : 0)
}

const byLongestWait = (a: QueuedConversation, b: QueuedConversation): number => compareWaits(a.waitingSince, a.id, b.waitingSince, b.id)

/** The queues over the unresolved conversations (resolved ones are ignored if given). */
export function computeLiveQueues(conversations: Iterable<QueuedConversation>, asOf: number): LiveQueues {
  const groups: QueueGroup[] = []
  const waiting: QueuedConversation[] = []
  for (const c of conversations) {
    if (c.status === 'resolved') continue
    groups.push({
      channel: c.channel,
      inbox: c.inbox,
      team: c.team,
      status: c.status,
      assigneeId: c.assigneeId,
      count: 1,
      waiting: c.waitingSince !== null ? 1 : 0,
      longestWaitSince: c.waitingSince,
      slaAtRisk: inQueueState(c, 'slaAtRisk', asOf) ? 1 : 0,
      slaBreached: inQueueState(c, 'slaBreached', asOf) ? 1 : 0,
    })
    if (inQueueState(c, 'waiting', asOf)) waiting.push(c)
  }
  return liveQueuesOfGroups(groups, waiting, asOf)
}

/**
 * The queues from groups of the unresolved conversations (resolved groups are ignored), with
 * `longestWaiting`: waiting conversations that include the LONGEST_WAITS first in byLongestWait
 * order, and every one tied with the last of those (any others are sorted out).
 */
export function liveQueuesOfGroups(groups: Iterable<QueueGroup>, longestWaiting: Iterable<QueuedConversation>, asOf: number): LiveQueues {
  const totals = emptyCounts()
  const rows = { channel: new Map<string, QueueCounts>(), inbox: new Map<string, QueueCounts>(), team: new Map<string, QueueCounts>() }
  // Every channel has a row, so a wallboard keeps its layout when a channel is quiet.
  for (const channel of CHANNELS) rows.channel.set(channel, emptyCounts())
  const openAssigned = new Map<string, number>()
  for (const g of groups) {
    if (g.status === 'resolved' || g.count === 0) continue
    add(totals, g)
    if (g.status === 'open' && g.assigneeId !== null) openAssigned.set(g.assigneeId, (openAssigned.get(g.assigneeId) ?? 0) + g.count)
    for (const dimension of ['channel', 'inbox', 'team'] as const) {
      const key = queueKey(g, dimension)
      let counts = rows[dimension].get(key)
      if (!counts) rows[dimension].set(key, (counts = emptyCounts()))
      add(counts, g)
    }
  }
  const sorted = (map: Map<string, QueueCounts>, order?: readonly string[]): QueueRow[] =>
    [...map].map(([key, counts]) => ({ key, counts })).sort((a, b) => (order ? order.indexOf(a.key) - order.indexOf(b.key) : a.key.localeCompare(b.key)))
  const waiting = [...longestWaiting].filter((c) => inQueueState(c, 'waiting', asOf)).sort(byLongestWait)
  return {
    asOf,
    totals,
    byChannel: sorted(rows.channel, CHANNELS),
    byInbox: sorted(rows.inbox),
    byTeam: sorted(rows.team),
    longestWaits: waiting.slice(0, LONGEST_WAITS).map((c) => ({
      conversationId: c.id,
      customerId: c.customerId,
      channel: c.channel,
      inbox: c.inbox,
      since: c.waitingSince ?? asOf,
      assigneeId: c.assigneeId,
    })),
    openAssigned: [...openAssigned].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([assigneeId, open]) => ({ assigneeId, open })),
  }
}

/** The conversations behind one number of the queues taken at `now`, longest waiting first, then by id. */
export function liveFigureConversations<C extends QueuedConversation>(conversations: Iterable<C>, figure: LiveFigure, now: number): C[] {
  const out: C[] = []
  for (const c of conversations) {
    if (c.status === 'resolved' || !inQueueState(c, figure.state, now)) continue
    if (figure.dimension !== 'all' && queueKey(c, figure.dimension) !== figure.key) continue
    out.push(c)
  }
  return out.sort(byLongestWait)
}
