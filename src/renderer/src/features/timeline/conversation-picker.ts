import type { Conversation } from '../../../../shared/domain'
import { CHANNEL_LABELS, STATUS_LABELS, fullTime, shortDate } from '../../lib/format'

/** Conversations the picker lists: a customer with hundreds would make every open slow to render. */
export const PICKER_CONVERSATIONS = 15

/**
 * What the "conversation to act on" picker offers: the most recent conversations, newest
 * first, and the chosen one wherever it falls. Older ones are opened from the customer panel,
 * which makes them the chosen one.
 */
export function pickerConversations(conversations: readonly Conversation[], chosenId: string): Conversation[] {
  const recent = [...conversations].sort((a, b) => b.lastMessageAt - a.lastMessageAt)
  const shown = recent.slice(0, PICKER_CONVERSATIONS)
  const chosen = recent.find((c) => c.id === chosenId)
  if (chosen && !shown.includes(chosen)) shown.push(chosen)
  return shown
}

/**
 * The picker's option text per conversation: channel, subject (or day) and an unfinished
 * status. Conversations that would read the same (two subject-less chats of one day, or
 * threads brought together by a merge) also get the time of their last message, and a
 * number if even that is shared, so the agent can tell which one they act on.
 */
export function pickerLabels(conversations: readonly Conversation[]): Map<string, string> {
  const base = (c: Conversation) =>
    `${CHANNEL_LABELS[c.channel]} · ${c.subject ?? shortDate(c.lastMessageAt)}${c.status === 'resolved' ? '' : ` (${STATUS_LABELS[c.status].toLowerCase()})`}`
  const labels = new Map(conversations.map((c) => [c.id, base(c)]))
  const disambiguate = (more: (c: Conversation, n: number) => string) => {
    const groups = new Map<string, Conversation[]>()
    for (const c of conversations) {
      const label = labels.get(c.id)!
      groups.set(label, [...(groups.get(label) ?? []), c])
    }
    for (const group of groups.values()) {
      if (group.length < 2) continue
      // Oldest first, so the numbers follow the order the conversations began in.
      ;[...group].sort((a, b) => a.createdAt - b.createdAt).forEach((c, i) => labels.set(c.id, `${labels.get(c.id)!} · ${more(c, i + 1)}`))
    }
  }
  disambiguate((c) => fullTime(c.lastMessageAt))
  disambiguate((_, n) => `#${n}`)
  return labels
}
