import type { Call, Conversation } from '../../shared/domain'
import type { ParsedInboundMessage } from '../../shared/ingest'
import type { StoreReader } from '../store/store'
import { canSeeInbox } from '../sync/access'

/** What threading needs to know about stored conversations. */
export type ThreadingLookup = Pick<
  StoreReader,
  | 'conversationByMessageExternalId'
  | 'conversationByThreadKey'
  | 'latestUnresolvedConversation'
  | 'latestConversationOnChannel'
  | 'conversationThreads'
  | 'callByExternalId'
  | 'getConversation'
  | 'listConversations'
  | 'listUsers'
>

/** What of an inbound item decides its conversation. */
export type ThreadingItem = Pick<ParsedInboundMessage, 'channel' | 'inbox' | 'externalId' | 'subject' | 'inReplyTo' | 'references' | 'threadKey'>

/** How long a conversation keeps taking a customer's messages, in milliseconds (server config, in hours there). */
export interface MatterWindows {
  /** A message on another channel joins the customer's unresolved conversation when it was active this recently. */
  switchMs: number
  /** A message for a resolved conversation reopens it within this long of its last activity; later, a new one starts, linked to it. */
  reopenMs: number
}

const HOUR = 60 * 60 * 1000
export const DEFAULT_MATTER_WINDOWS: MatterWindows = { switchMs: 72 * HOUR, reopenMs: 7 * 24 * HOUR }

export type ThreadDecision =
  /** Joins this conversation (reopening it when resolved); `threadKey` routes the channel's later items to it. */
  | { kind: 'existing'; conversation: Conversation; threadKey: string }
  /** Starts a conversation, continuing `previous` when the customer came back to one too old to reopen. */
  | { kind: 'new'; threadKey: string; previous: Conversation | null }
  /** A lifecycle update of a call already stored: update that call, in its conversation. */
  | { kind: 'call-update'; conversation: Conversation; call: Call }

/**
 * The key that routes an item's later siblings: an email thread's root, a chat session, or —
 * for SMS and WhatsApp, which have no threads — the customer's number in the inbox, which
 * routes to one conversation at a time (the one that last used it).
 */
export function threadKeyOf(item: ThreadingItem, customerId: string): string {
  switch (item.channel) {
    case 'email':
      return item.references[0] ?? item.inReplyTo ?? item.externalId
    case 'chat':
      return item.threadKey ?? item.externalId
    case 'sms':
    case 'whatsapp':
      return streamKey(item.channel, item.inbox, customerId)
    case 'voice':
      return item.externalId
  }
}

export const streamKey = (channel: 'sms' | 'whatsapp', inbox: string, customerId: string): string => `${channel}:${inbox}:${customerId}`

/** Email threads and keyed chat sessions: a new one is a new matter, even for a customer with one open. */
const startsThreads = (item: ThreadingItem): boolean => item.channel === 'email' || (item.channel === 'chat' && !!item.threadKey)

/**
 * Picks the conversation an inbound item belongs to — the customer's matter, across channels.
 * Pure: reads through `lookup`, writes nothing, so every rule is unit-tested on plain data.
 * Only a conversation everyone seeing the item's inbox can see is joined.
 *  1. What the channel names (an email's thread headers, a chat session) wins while that
 *     conversation is unresolved, or resolved within the reopen window.
 *  2. Otherwise the customer's current matter: the most recently active of their unresolved
 *     conversation holding this channel (SMS, WhatsApp, chat) and their unresolved conversation
 *     active within the switch window — unless the item starts a new thread on a channel that
 *     conversation already threads (a second email subject is a second matter).
 *  3. Otherwise a resolved conversation of the channel within the reopen window reopens.
 *  4. Otherwise a new conversation, linked to the resolved one the customer came back to.
 */
export async function threadInbound(
  item: ThreadingItem,
  customerId: string,
  at: number,
  windows: MatterWindows,
  lookup: ThreadingLookup,
): Promise<ThreadDecision> {
  const threadKey = threadKeyOf(item, customerId)
  const join = (conversation: Conversation): ThreadDecision => ({ kind: 'existing', conversation, threadKey })
  const within = (c: Conversation, ms: number): boolean => at - c.lastMessageAt <= ms
  const unresolved = (c: Conversation): boolean => c.status !== 'resolved'

  if (item.channel === 'voice') {
    const call = await lookup.callByExternalId(item.externalId)
    const conversation = call ? await lookup.getConversation(call.conversationId) : null
    if (call && conversation) return { kind: 'call-update', conversation, call }
  }

  // A conversation in an inbox that someone seeing this item's inbox cannot see would hide the
  // item from them: such a conversation is never joined.
  const reachable = audienceCheck(item.inbox, lookup)
  const eligible = async (c: Conversation | null): Promise<Conversation | null> => (c && (await reachable(c.inbox)) ? c : null)

  const named = await eligible(await namedConversation(item, customerId, lookup))
  if (named && (unresolved(named) || within(named, windows.reopenMs))) return join(named)
  const holding = named ? null : await eligible(await conversationHoldingChannel(item, customerId, lookup))

  const candidates: Conversation[] = []
  if (holding && unresolved(holding)) candidates.push(holding)
  const current = await eligible(await lookup.latestUnresolvedConversation(customerId))
  if (current && within(current, windows.switchMs) && !(startsThreads(item) && (await threadsChannel(current, item, lookup)))) {
    candidates.push(current)
  }
  const latest = candidates.sort((a, b) => b.lastMessageAt - a.lastMessageAt)[0]
  if (latest) return join(latest)

  if (holding && within(holding, windows.reopenMs)) return join(holding)
  return { kind: 'new', threadKey, previous: named ?? holding }
}

/**
 * Whether everyone who may see `from` may also see a given inbox. Users are read once, and only
 * when a conversation in another inbox comes up.
 */
function audienceCheck(from: string, lookup: ThreadingLookup): (inbox: string) => Promise<boolean> {
  let users: Awaited<ReturnType<ThreadingLookup['listUsers']>> | null = null
  return async (inbox) => {
    if (inbox === from) return true
    users ??= await lookup.listUsers()
    return users.every((u) => u.deactivatedAt || !canSeeInbox(u, from) || canSeeInbox(u, inbox))
  }
}

/** The conversation the item's own headers or session name, if any. */
async function namedConversation(item: ThreadingItem, customerId: string, lookup: ThreadingLookup): Promise<Conversation | null> {
  if (item.channel === 'email') {
    const referenced = [item.inReplyTo, ...item.references].filter((id): id is string => !!id)
    return (
      (await lookup.conversationByMessageExternalId('email', referenced)) ??
      // A reply whose parent we never stored may still name the thread's root.
      (referenced.length > 0 ? await lookup.conversationByThreadKey('email', threadKeyOf(item, customerId)) : null) ??
      (await emailConversationBySubject(item, referenced.length > 0, customerId, lookup))
    )
  }
  if (item.channel === 'chat' && item.threadKey) return lookup.conversationByThreadKey('chat', item.threadKey)
  return null
}

/** For channels without threads: the customer's latest conversation that has used the channel (in this inbox). */
async function conversationHoldingChannel(item: ThreadingItem, customerId: string, lookup: ThreadingLookup): Promise<Conversation | null> {
  switch (item.channel) {
    case 'sms':
    case 'whatsapp':
      return lookup.latestConversationOnChannel(customerId, item.channel, item.inbox)
    case 'chat':
      return item.threadKey ? null : lookup.latestConversationOnChannel(customerId, 'chat', null)
    default:
      return null
  }
}

async function threadsChannel(conversation: Conversation, item: ThreadingItem, lookup: ThreadingLookup): Promise<boolean> {
  return (await lookup.conversationThreads(conversation.id)).some((t) => t.channel === item.channel)
}

// Re:, Fwd:, Fw: and their common translations (AW/WG German, SV Nordic, Antw Dutch, Rif Italian,
// TR French), each optionally counted ("Re[2]:"), repeated.
const REPLY_PREFIXES = /^(?:\s*(?:re|fwd?|aw|wg|sv|antw|rif|tr)\s*(?:\[\d+\])?\s*[:：]\s*)+/i

/** The subject without its reply/forward prefixes, as written ("Re: Fwd: Order 5" → "Order 5"). */
export function stripReplyPrefixes(subject: string): string {
  return subject.replace(REPLY_PREFIXES, '').trim()
}

/** What two subjects of one thread have in common: no prefixes, whitespace collapsed, any case. */
export function normalizeSubject(subject: string): string {
  return stripReplyPrefixes(subject).replace(/\s+/g, ' ').toLowerCase()
}

/** How many of the customer's recent email conversations the subject fallback looks through. */
const SUBJECT_FALLBACK_LIMIT = 25

/**
 * Mail clients and forwarding services sometimes drop In-Reply-To/References. A message that
 * still says it is a reply (headers we do not know, or a Re:/Fwd: subject) joins the same
 * customer's most recent conversation in the same inbox with the same subject. A first message
 * without those signs always starts a conversation: "Help" twice is not one thread.
 */
async function emailConversationBySubject(
  item: ThreadingItem,
  hasReferences: boolean,
  customerId: string,
  lookup: ThreadingLookup,
): Promise<Conversation | null> {
  const subject = item.subject ?? ''
  const normalized = normalizeSubject(subject)
  if (!normalized || (!hasReferences && !REPLY_PREFIXES.test(subject))) return null
  const recent = await lookup.listConversations({
    customerId,
    channel: 'email',
    inbox: item.inbox,
    scope: null,
    limit: SUBJECT_FALLBACK_LIMIT,
  })
  return recent.items.find((c) => c.subject !== null && normalizeSubject(c.subject) === normalized) ?? null
}
