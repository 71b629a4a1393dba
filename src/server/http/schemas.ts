import { z } from 'zod'
import { Call, Conversation, Customer, Identity, Message, Note, TimelineEvent, User } from '../../shared/domain'

/** Response shapes of the REST API, built from the shared entity schemas. */
export const UserOut = User.meta({ id: 'User' })
export const CustomerOut = Customer.meta({ id: 'Customer' })
export const IdentityOut = Identity.meta({ id: 'Identity' })
export const ConversationOut = Conversation.meta({ id: 'Conversation' })
export const MessageOut = Message.meta({ id: 'Message' })
export const NoteOut = Note.meta({ id: 'Note' })
export const CallOut = Call.meta({ id: 'Call' })
export const EventOut = TimelineEvent.meta({ id: 'TimelineEvent' })

export const TimelineEntryOut = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), at: z.number(), item: MessageOut }),
  z.object({ kind: z.literal('note'), at: z.number(), item: NoteOut }),
  z.object({ kind: z.literal('call'), at: z.number(), item: CallOut }),
  z.object({ kind: z.literal('event'), at: z.number(), item: EventOut }),
])

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next: z.string().nullable().describe('Pass as the page cursor for the next page') })

export const IdParams = z.object({ id: z.string().min(1).max(128) })
export const Limit = z.coerce.number().int().min(1).max(500).default(50)
