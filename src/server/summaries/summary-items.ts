import type { Call, Conversation, Message, Note } from '../../shared/domain'
import { storyContext, type StoryContext, type SummaryItem } from '../../shared/summaries'
import type { StoreReader } from '../store/store'

/** What a summarizer reads of a customer, as the server holds it, with the inbox of every item. */
export interface CustomerHistory {
  items: SummaryItem[]
  /** Item id → the inbox of its conversation: who may read a summary citing it, and what may go to a model. */
  inboxOf: Map<string, string>
  conversations: Conversation[]
  context: StoryContext
}

export const messageItem = (m: Message): SummaryItem => ({
  id: m.id,
  kind: 'message',
  conversationId: m.conversationId,
  channel: m.channel,
  author: m.direction === 'inbound' ? 'customer' : 'agent',
  at: m.sentAt,
  text: m.text,
})

/** A call reads as its transcript followed by the agent's notes. */
export const callItem = (c: Call): SummaryItem => ({
  id: c.id,
  kind: 'call',
  conversationId: c.conversationId,
  channel: 'voice',
  author: c.direction === 'inbound' ? 'customer' : 'agent',
  at: c.startedAt,
  text: [c.transcript, c.notes ? `Agent notes: ${c.notes}` : null].filter(Boolean).join('\n'),
})

const noteItem = (n: Note, channel: Conversation['channel']): SummaryItem => ({
  id: n.id,
  kind: 'note',
  conversationId: n.conversationId,
  channel,
  author: 'agent',
  at: n.createdAt,
  text: n.text,
})

const byTime = (a: SummaryItem, b: SummaryItem): number => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** The items of the given conversations, oldest first; a call without transcript or notes says nothing and is left out. */
export async function historyOf(store: StoreReader, conversations: readonly Conversation[]): Promise<CustomerHistory> {
  const items: SummaryItem[] = []
  const inboxOf = new Map<string, string>()
  for (const conversation of conversations) {
    const { messages, notes, calls } = await store.conversationItems(conversation.id)
    const own = [
      ...messages.map(messageItem),
      ...notes.map((n) => noteItem(n, conversation.channel)),
      ...calls.map(callItem).filter((c) => c.text !== ''),
    ]
    for (const item of own) {
      inboxOf.set(item.id, conversation.inbox)
      items.push(item)
    }
  }
  items.sort(byTime)
  return { items, inboxOf, conversations: [...conversations], context: storyContext(conversations) }
}

export async function customerHistory(store: StoreReader, customerId: string): Promise<CustomerHistory> {
  return historyOf(store, await store.conversationsOf(customerId))
}
