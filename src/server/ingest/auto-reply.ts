import { newId } from '../../shared/ids'
import type { Conversation, Message } from '../../shared/domain'
import type { InboundAutoReply } from '../../shared/ingest'
import type { StoreWriter } from '../store/store'

/**
 * Queues the automatic answer to an inbound message, like an agent's reply: the dispatcher
 * sends it after the transaction commits and its delivery shows in the timeline. It does not
 * count as an answer from the team, so the conversation still waits for an agent.
 */
export async function queueAutoReply(w: StoreWriter, conversation: Conversation, answering: Message, reply: InboundAutoReply, now: number): Promise<Message> {
  const message: Message = {
    id: newId(),
    conversationId: conversation.id,
    customerId: answering.customerId,
    channel: answering.channel,
    direction: 'outbound',
    authorId: null,
    authorName: 'Automatic reply',
    subject: null,
    text: reply.text,
    html: null,
    attachments: [],
    externalId: null,
    deliveryStatus: 'queued',
    deliveryError: null,
    // Never before the message it answers, whatever time that one carries.
    sentAt: Math.max(now, answering.sentAt),
    updatedAt: now,
    purpose: 'transactional',
    template: null,
  }
  await w.put('message', message)
  const current = await w.getConversation(conversation.id) ?? conversation
  await w.put('conversation', { ...current, lastMessageAt: Math.max(current.lastMessageAt, message.sentAt), updatedAt: now })
  return message
}
