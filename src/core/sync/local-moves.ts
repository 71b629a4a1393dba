import type { Database } from 'better-sqlite3'
import { settledActivity } from '../../shared/conversation-activity'
import type { Call, Conversation, EntityName, Message, TimelineEvent } from '../../shared/domain'
import { MUTATION_ARGS, type MutationArgs } from '../../shared/mutations'
import { getConversation, getEntity, getUser, listConversationItems, listOutboxByName, writeLocalEntity, type OutboxRow } from '../db/queries'
import type { Author } from './outbox'

/**
 * Moving messages and calls between a customer's conversations, shown before the server has
 * done it, the way the server will do it (server/sync/conversation-moves.ts): the same event
 * ids, the same new conversation for a split, the same activity and wait afterwards. The
 * server's rows replace these when they arrive, id for id.
 */

const targetEventId = (moveId: string): string => `${moveId}:in`
const undoEventId = (moveId: string): string => `${moveId}:undo`
const undoOutEventId = (moveId: string): string => `${moveId}:undo-out`

/** What a move took where: read from its event, or from the queued move while the server has not seen it. */
export interface MoveRecord {
  from: string
  to: string
  split: boolean
  messageIds: string[]
  callIds: string[]
}

export function findMove(db: Database, moveId: string): MoveRecord | null {
  const event = getEntity(db, 'event', moveId)?.current
  if (event?.type === 'items_moved' && event.data.direction === 'out' && typeof event.data.to === 'string') {
    const ids = (key: string) => (Array.isArray(event.data[key]) ? (event.data[key] as unknown[]).map(String) : [])
    return { from: event.conversationId, to: event.data.to, split: event.data.split === true, messageIds: ids('messageIds'), callIds: ids('callIds') }
  }
  for (const row of listOutboxByName(db, ['moveItems'])) {
    const args = MUTATION_ARGS.moveItems.parse(row.args)
    if (args.moveId === moveId) return { from: args.fromConversationId, to: args.toConversationId, split: args.split, messageIds: args.messageIds, callIds: args.callIds }
  }
  return null
}

export function applyMoveItems(db: Database, args: MutationArgs<'moveItems'>, author: Author, at: number): void {
  const from = getConversation(db, args.fromConversationId)
  if (!from) return
  const messages = itemsIn(db, 'message', args.messageIds, from.id)
  const calls = itemsIn(db, 'call', args.callIds, from.id)
  const to = getConversation(db, args.toConversationId) ?? (args.split ? splitConversation(db, from, args, messages, calls, author, at) : null)
  if (!to) return
  relocate(db, from, to, messages, calls, at)
  const moved = { split: args.split, messageIds: args.messageIds, callIds: args.callIds }
  movedEvent(db, args.moveId, from, { direction: 'out', to: to.id, ...moved }, author, at)
  movedEvent(db, targetEventId(args.moveId), to, { direction: 'in', from: from.id, ...moved }, author, at)
}

export function applyUndoMove(db: Database, args: MutationArgs<'undoMove'>, author: Author, at: number): void {
  const move = findMove(db, args.moveId)
  if (!move) return
  const from = getConversation(db, move.from)
  const to = getConversation(db, move.to)
  if (!from || !to) return
  // Only what is still where the move put it goes back, as on the server.
  const messages = itemsIn(db, 'message', move.messageIds, to.id)
  const calls = itemsIn(db, 'call', move.callIds, to.id)
  const { source } = relocate(db, to, from, messages, calls, at)
  if (move.split && source.empty && source.conversation.status !== 'resolved') {
    writeLocalEntity(db, 'conversation', { ...source.conversation, status: 'resolved', snoozedUntil: null, waitingSince: null })
  }
  const back = { undo: true, messageIds: messages.map((m) => m.id), callIds: calls.map((c) => c.id) }
  movedEvent(db, undoEventId(args.moveId), from, { ...back, direction: 'in', from: to.id }, author, at)
  movedEvent(db, undoOutEventId(args.moveId), to, { ...back, direction: 'out', to: from.id }, author, at)
}

/** Every row a queued move or undo changed, to put back to the server's copy when it is discarded. */
export function rowsOfMove(db: Database, row: OutboxRow): { entity: EntityName; id: string }[] {
  const moveId = row.name === 'moveItems' ? MUTATION_ARGS.moveItems.parse(row.args).moveId : MUTATION_ARGS.undoMove.parse(row.args).moveId
  const move = findMove(db, moveId)
  if (!move) return []
  const events = row.name === 'moveItems' ? [moveId, targetEventId(moveId)] : [undoEventId(moveId), undoOutEventId(moveId)]
  return [
    ...move.messageIds.map((id) => ({ entity: 'message' as const, id })),
    ...move.callIds.map((id) => ({ entity: 'call' as const, id })),
    { entity: 'conversation', id: move.from },
    { entity: 'conversation', id: move.to },
    ...events.map((id) => ({ entity: 'event' as const, id })),
  ]
}

function itemsIn<E extends 'message' | 'call'>(db: Database, entity: E, ids: readonly string[], conversationId: string): (E extends 'message' ? Message : Call)[] {
  return ids
    .map((id) => getEntity(db, entity, id)?.current)
    .filter((item): item is NonNullable<typeof item> => item?.conversationId === conversationId) as (E extends 'message' ? Message : Call)[]
}

/** The conversation a split starts, as the server makes it: the source's inbox and priority, continuing the source. */
function splitConversation(
  db: Database,
  from: Conversation,
  args: MutationArgs<'moveItems'>,
  messages: Message[],
  calls: Call[],
  author: Author,
  at: number,
): Conversation {
  const dated = [...messages.map((m) => [m.sentAt, m.channel] as const), ...calls.map((c) => [c.startedAt, 'voice' as const] as const)].sort((a, b) => a[0] - b[0])
  const conversation: Conversation = {
    ...from,
    id: args.toConversationId,
    channel: dated.at(-1)?.[1] ?? from.channel,
    subject: messages.find((m) => m.subject)?.subject ?? from.subject,
    status: 'open',
    snoozedUntil: null,
    assigneeId: author.id,
    team: author.id ? (getUser(db, author.id)?.team ?? null) : null,
    threadKey: `split:${args.moveId}`,
    labels: [],
    priority: from.priority,
    previousConversationId: from.id,
    lastMessageAt: dated[0]?.[0] ?? at,
    waitingSince: null,
    createdAt: at,
    updatedAt: at,
  }
  writeLocalEntity(db, 'conversation', conversation)
  return conversation
}

interface Settled {
  conversation: Conversation
  empty: boolean
}

function relocate(db: Database, from: Conversation, to: Conversation, messages: Message[], calls: Call[], at: number): { source: Settled; target: Settled } {
  for (const m of messages) writeLocalEntity(db, 'message', { ...m, conversationId: to.id, updatedAt: Math.max(m.updatedAt, at) })
  for (const c of calls) writeLocalEntity(db, 'call', { ...c, conversationId: to.id, updatedAt: Math.max(c.updatedAt, at) })
  return { source: settle(db, from, at), target: settle(db, to, at) }
}

/** The conversation's last activity and whether the customer waits, from what it now holds (as the server sets them). */
function settle(db: Database, conversation: Conversation, at: number): Settled {
  const { messages, calls } = listConversationItems(db, conversation.id)
  const { lastMessageAt, waitingSince, empty } = settledActivity(conversation, messages, calls)
  const next: Conversation = { ...conversation, lastMessageAt, waitingSince, updatedAt: Math.max(conversation.updatedAt, at) }
  writeLocalEntity(db, 'conversation', next)
  return { conversation: next, empty }
}

function movedEvent(db: Database, id: string, conversation: Conversation, data: Record<string, unknown>, author: Author, at: number): void {
  // The server's event, once here, is the truth; a local one is written once, with what moved the first time.
  if (getEntity(db, 'event', id)) return
  const event: TimelineEvent = {
    id,
    conversationId: conversation.id,
    customerId: conversation.customerId,
    type: 'items_moved',
    actorId: author.id,
    data,
    createdAt: at,
  }
  writeLocalEntity(db, 'event', event)
}
