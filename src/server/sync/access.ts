import type { Conversation, User } from '../../shared/domain'
import type { InboxScope, StoreReader, StoredChange } from '../store/store'

/** Which inboxes a user may see: supervisors and agents alike are limited only by `inboxes`. */
export const scopeOf = (user: User): InboxScope => user.inboxes

export const canSeeInbox = (user: User, inbox: string): boolean => user.inboxes === null || user.inboxes.includes(inbox)

export const canSeeConversation = (user: User, conversation: Conversation): boolean => canSeeInbox(user, conversation.inbox)

/** A customer is seen through their conversations: a user who may see none of them may not see the customer. */
export const canSeeCustomer = (store: Pick<StoreReader, 'customerVisible'>, user: User, customerId: string): boolean =>
  store.customerVisible(customerId, scopeOf(user))

/** Whether a committed change reaches this user (the same rule as the pull's filter in the store). */
export function canSeeChange(store: Pick<StoreReader, 'customerVisible'>, user: User, change: StoredChange): boolean {
  if (change.inbox !== null) return canSeeInbox(user, change.inbox)
  return change.customerId === null || canSeeCustomer(store, user, change.customerId)
}
