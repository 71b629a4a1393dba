import type { Conversation, User } from '../../shared/domain'
import type { InboxScope } from '../store/store'

/** Which inboxes a user may see: supervisors and agents alike are limited only by `inboxes`. */
export const scopeOf = (user: User): InboxScope => user.inboxes

export const canSeeInbox = (user: User, inbox: string): boolean => user.inboxes === null || user.inboxes.includes(inbox)

export const canSeeConversation = (user: User, conversation: Conversation): boolean => canSeeInbox(user, conversation.inbox)
