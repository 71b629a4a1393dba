import type { Conversation } from '../../../../shared/domain'

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
