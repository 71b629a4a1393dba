import type { Call, Conversation, Message, TimelineEvent } from '../../shared/domain'
import { settledActivity } from '../../shared/conversation-activity'
import type { MutationArgs } from '../../shared/mutations'
import type { StoreWriter } from '../store/store'
import { canSeeConversation } from './access'
import type { CustomerCtx, CustomerOutcome } from './customer-mutations'

/**
 * Agents split messages and calls out of a conversation into a new one, or move them into
 * another of the same customer's conversations; either is undone by moving back what it moved.
 * The move is recorded as an `items_moved` event in the source conversation whose id is the
 * client's `moveId` (so the undo finds it), and one in the target; the undo writes a third
 * and a fourth, so the timelines say what happened and when.
 */

const undoEventId = (moveId: string): string => `${moveId}:undo`
const targetEventId = (moveId: string): string => `${moveId}:in`

/** What a move's source event holds: enough to undo it. */
interface MoveRecord {
  direction: 'out'
  to: string
  split: boolean
  messageIds: string[]
  callIds: string[]
}

async function visible(ctx: CustomerCtx, id: string): Promise<Conversation | { rejected: string }> {
  const conversation = await ctx.w.getConversation(id)
  return conversation && canSeeConversation(ctx.user, conversation) ? conversation : { rejected: `unknown conversation ${id}` }
}

export async function moveItems(ctx: CustomerCtx, args: MutationArgs<'moveItems'>): Promise<CustomerOutcome> {
  const { w, now } = ctx
  const done = await w.getEvent(args.moveId)
  if (done) return done.type === 'items_moved' && done.actorId === ctx.user.id ? { duplicate: true } : { rejected: `move id ${args.moveId} is already taken` }
  const from = await visible(ctx, args.fromConversationId)
  if ('rejected' in from) return from
  const messages: Message[] = []
  for (const id of args.messageIds) {
    const m = await w.getMessage(id)
    if (!m || m.conversationId !== from.id) return { rejected: `message ${id} is not in this conversation` }
    messages.push(m)
  }
  const calls: Call[] = []
  for (const id of args.callIds) {
    const c = await w.getCall(id)
    if (!c || c.conversationId !== from.id) return { rejected: `call ${id} is not in this conversation` }
    calls.push(c)
  }

  let to: Conversation | { rejected: string }
  if (args.split) {
    if (await w.getConversation(args.toConversationId)) return { rejected: `conversation id ${args.toConversationId} is already taken` }
    const first = [...messages.map((m) => m.sentAt), ...calls.map((c) => c.startedAt)].sort((a, b) => a - b)[0] ?? now
    const latestChannel = [...messages.map((m) => [m.sentAt, m.channel] as const), ...calls.map((c) => [c.startedAt, 'voice' as const] as const)]
      .sort((a, b) => b[0] - a[0])[0]?.[1] ?? from.channel
    to = {
      ...from,
      id: args.toConversationId,
      channel: latestChannel,
      subject: messages.find((m) => m.subject)?.subject ?? from.subject,
      status: 'open',
      snoozedUntil: null,
      assigneeId: ctx.user.id,
      team: ctx.user.team,
      threadKey: `split:${args.moveId}`,
      labels: [],
      priority: from.priority,
      previousConversationId: from.id,
      lastMessageAt: first,
      waitingSince: null,
      createdAt: now,
      updatedAt: now,
    }
    await w.put('conversation', to)
  } else {
    to = await visible(ctx, args.toConversationId)
    if ('rejected' in to) return to
    if (to.customerId !== from.customerId) return { rejected: 'messages can only move between conversations of the same customer' }
  }

  await relocate(w, from, to, messages, calls, now)
  const record: MoveRecord = { direction: 'out', to: to.id, split: args.split, messageIds: args.messageIds, callIds: args.callIds }
  await movedEvent(ctx, args.moveId, from, { ...record })
  await movedEvent(ctx, targetEventId(args.moveId), to, { direction: 'in', from: from.id, split: args.split, messageIds: args.messageIds, callIds: args.callIds })
  return null
}

export async function undoMove(ctx: CustomerCtx, args: MutationArgs<'undoMove'>): Promise<CustomerOutcome> {
  const { w, now } = ctx
  const moved = await w.getEvent(args.moveId)
  if (!moved || moved.type !== 'items_moved' || moved.data.direction !== 'out') return { rejected: `unknown move ${args.moveId}` }
  if (await w.getEvent(undoEventId(args.moveId))) return { duplicate: true }
  const record = moved.data as unknown as MoveRecord
  const from = await visible(ctx, moved.conversationId)
  if ('rejected' in from) return from
  const to = await visible(ctx, record.to)
  if ('rejected' in to) return to
  // Only what is still where the move put it goes back: a later move of the same message stands.
  const messages = (await Promise.all(record.messageIds.map((id) => w.getMessage(id)))).filter((m): m is Message => m?.conversationId === to.id)
  const calls = (await Promise.all(record.callIds.map((id) => w.getCall(id)))).filter((c): c is Call => c?.conversationId === to.id)
  const after = await relocate(w, to, from, messages, calls, now)
  // A split-off conversation left empty is closed rather than left open in everyone's inbox.
  if (record.split && after.source.empty && after.source.conversation.status !== 'resolved') {
    await w.put('conversation', { ...after.source.conversation, status: 'resolved', snoozedUntil: null, waitingSince: null, updatedAt: now })
  }
  const data = { undo: true, messageIds: messages.map((m) => m.id), callIds: calls.map((c) => c.id) }
  await movedEvent(ctx, undoEventId(args.moveId), from, { ...data, direction: 'in', from: to.id })
  await movedEvent(ctx, `${args.moveId}:undo-out`, to, { ...data, direction: 'out', to: from.id })
  return null
}

async function movedEvent(ctx: CustomerCtx, id: string, conversation: Conversation, data: Record<string, unknown>): Promise<void> {
  const event: TimelineEvent = {
    id,
    conversationId: conversation.id,
    customerId: conversation.customerId,
    type: 'items_moved',
    actorId: ctx.user.id,
    data,
    createdAt: ctx.now,
  }
  await ctx.w.put('event', event)
}

interface Settled {
  conversation: Conversation
  empty: boolean
}

/**
 * Moves the items, gives the target the source's threads of the moved items' channels (so the
 * customer's next SMS follows the messages), and sets both conversations' activity and wait
 * from what each now holds.
 */
async function relocate(
  w: StoreWriter,
  from: Conversation,
  to: Conversation,
  messages: Message[],
  calls: Call[],
  now: number,
): Promise<{ source: Settled; target: Settled }> {
  for (const m of messages) await w.put('message', { ...m, conversationId: to.id, updatedAt: now })
  for (const c of calls) await w.put('call', { ...c, conversationId: to.id, updatedAt: now })
  const channels = new Set(messages.map((m) => m.channel))
  const threads = (await w.conversationThreads(from.id)).filter((t) => channels.has(t.channel) && t.channel !== 'email')
  for (const t of threads) await w.putThread({ ...t, conversationId: to.id, lastAt: now })
  return { source: await settle(w, from, now), target: await settle(w, to, now) }
}

/** The conversation's last activity and whether the customer waits, recomputed from its items. */
async function settle(w: StoreWriter, conversation: Conversation, now: number): Promise<Settled> {
  const items = await w.conversationItems(conversation.id)
  const { lastMessageAt, waitingSince, empty } = settledActivity(conversation, items.messages, items.calls)
  const next: Conversation = { ...conversation, lastMessageAt, waitingSince, updatedAt: now }
  await w.put('conversation', next)
  return { conversation: next, empty }
}
