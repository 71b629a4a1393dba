import type { Call, Conversation } from '../../shared/domain'
import type { ParsedInboundMessage } from '../../shared/ingest'
import type { StoreReader } from '../store/store'

/** What threading needs to know about stored conversations. */
export type ThreadingLookup = Pick<
  StoreReader,
  | 'conversationByMessageExternalId'
  | 'conversationByThreadKey'
  | 'latestUnresolvedConversation'
  | 'callByExternalId'
  | 'getConversation'
  | 'listConversations'
>

/** What of an inbound item decides its conversation. */
export type ThreadingItem = Pick<ParsedInboundMessage, 'channel' | 'inbox' | 'externalId' | 'subject' | 'inReplyTo' | 'references' | 'threadKey'>

export type ThreadDecision =
  | { kind: 'existing'; conversation: Conversation }
  | { kind: 'new'; threadKey: string }
  /** A lifecycle update of a call already stored: update that call, in its conversation. */
  | { kind: 'call-update'; conversation: Conversation; call: Call }

/**
 * Picks the conversation an inbound item belongs to. Pure: reads through `lookup`, writes
 * nothing, so every channel's rule is unit-tested on plain data.
 */
export async function threadInbound(item: ThreadingItem, customerId: string, lookup: ThreadingLookup): Promise<ThreadDecision> {
  const existing = (conversation: Conversation | null): ThreadDecision | null =>
    conversation ? { kind: 'existing', conversation } : null

  switch (item.channel) {
    case 'email': {
      const referenced = [item.inReplyTo, ...item.references].filter((id): id is string => !!id)
      const root = item.references[0] ?? item.inReplyTo ?? item.externalId
      return (
        existing(await lookup.conversationByMessageExternalId('email', referenced)) ??
        // A reply whose parent we never stored may still name the thread's root.
        (referenced.length > 0 ? existing(await lookup.conversationByThreadKey('email', root)) : null) ??
        existing(await emailConversationBySubject(item, referenced.length > 0, customerId, lookup)) ?? {
          kind: 'new',
          threadKey: root,
        }
      )
    }
    case 'chat': {
      if (item.threadKey) {
        return existing(await lookup.conversationByThreadKey('chat', item.threadKey)) ?? { kind: 'new', threadKey: item.threadKey }
      }
      return existing(await lookup.latestUnresolvedConversation(customerId, 'chat', null)) ?? {
        kind: 'new',
        threadKey: item.externalId,
      }
    }
    case 'sms':
    case 'whatsapp':
      return existing(await lookup.latestUnresolvedConversation(customerId, item.channel, item.inbox)) ?? {
        kind: 'new',
        threadKey: `${item.channel}:${item.inbox}:${customerId}:${item.externalId}`,
      }
    case 'voice': {
      const call = await lookup.callByExternalId(item.externalId)
      const conversation = call ? await lookup.getConversation(call.conversationId) : null
      if (call && conversation) return { kind: 'call-update', conversation, call }
      return { kind: 'new', threadKey: item.externalId }
    }
  }
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
