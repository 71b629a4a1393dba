import type { Call, Conversation, Message } from './domain'

/**
 * A conversation's last activity and since when the customer waits, from the items it holds:
 * what a split or a move sets on both conversations, on the server and, optimistically, in the
 * client's cache. A resolved conversation waits for nobody.
 */
export function settledActivity(
  conversation: Conversation,
  messages: readonly Message[],
  calls: readonly Call[],
): { lastMessageAt: number; waitingSince: number | null; empty: boolean } {
  const sorted = [...messages].sort((a, b) => a.sentAt - b.sentAt)
  const times = [...sorted.map((m) => m.sentAt), ...calls.map((c) => c.startedAt)]
  const lastAnswer = sorted.filter((m) => m.direction === 'outbound').at(-1)?.sentAt ?? -1
  const waitingSince = sorted.find((m) => m.direction === 'inbound' && m.sentAt > lastAnswer)?.sentAt ?? null
  return {
    lastMessageAt: times.length > 0 ? Math.max(...times) : conversation.createdAt,
    waitingSince: conversation.status === 'resolved' ? null : waitingSince,
    empty: times.length === 0,
  }
}
