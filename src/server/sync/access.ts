import type { Conversation, Summary, User } from '../../shared/domain'
import { hasRole } from '../../shared/roles'
import { audienceToken } from '../store/rows'
import type { InboxScope, StoreReader, StoredChange } from '../store/store'

/** Which inboxes a user may see: supervisors and agents alike are limited only by `inboxes`. */
export const scopeOf = (user: User): InboxScope => user.inboxes

/** The audience tokens (store/rows.ts) a user holds: themselves, their team, and supervisors' when they are one. */
export const viewerTokens = (user: User): string[] => [
  audienceToken.user(user.id),
  ...(user.team ? [audienceToken.team(user.team)] : []),
  ...(hasRole(user, 'supervisor') ? [audienceToken.supervisors] : []),
]

export const canSeeInbox = (user: User, inbox: string): boolean => user.inboxes === null || user.inboxes.includes(inbox)

export const canSeeConversation = (user: User, conversation: Conversation): boolean => canSeeInbox(user, conversation.inbox)

/** A customer is seen through their conversations: a user who may see none of them may not see the customer. */
export const canSeeCustomer = (store: Pick<StoreReader, 'customerVisible'>, user: User, customerId: string): Promise<boolean> =>
  store.customerVisible(customerId, scopeOf(user))

/** Whether the user may read the summary: a story only who may see every inbox it read. */
export async function canReadSummary(store: Pick<StoreReader, 'getConversation' | 'customerVisible'>, user: User, summary: Summary): Promise<boolean> {
  if (summary.conversationId !== null) {
    const conversation = await store.getConversation(summary.conversationId)
    return conversation !== null && canSeeInbox(user, conversation.inbox)
  }
  return summary.inboxes.every((inbox) => canSeeInbox(user, inbox)) && (await canSeeCustomer(store, user, summary.customerId))
}

/**
 * Whether a committed change reaches this user (the same rule as the pull's filter in the store).
 * `visibleCustomers` holds the customers of `changes` the user may see (see visibleCustomersOf).
 */
export function canSeeChange(user: User, change: StoredChange, visibleCustomers: ReadonlySet<string>): boolean {
  if (change.audience) {
    return viewerTokens(user).some((t) => change.audience?.includes(t)) && (change.inbox === null || canSeeInbox(user, change.inbox))
  }
  if (change.inbox !== null) return canSeeInbox(user, change.inbox)
  if (change.covers && !change.covers.every((inbox) => canSeeInbox(user, inbox))) return false
  return change.customerId === null || visibleCustomers.has(change.customerId)
}

/** Of the customers whose own rows (customer, identity) are among `changes`, those the user may see: one read per customer. */
export async function visibleCustomersOf(
  store: Pick<StoreReader, 'customerVisible'>,
  user: User,
  changes: readonly StoredChange[],
): Promise<Set<string>> {
  const visible = new Set<string>()
  const asked = new Set<string>()
  for (const change of changes) {
    if (change.inbox !== null || change.customerId === null || asked.has(change.customerId)) continue
    asked.add(change.customerId)
    if (await canSeeCustomer(store, user, change.customerId)) visible.add(change.customerId)
  }
  return visible
}
