import { z } from 'zod'
import { CallOutcome, Channel, ConsentKey, ConsentPurpose, ConversationStatus, Direction, Id, Label, OutboundTemplate, Priority, Timestamp, ViewFilters } from './domain'

/**
 * Agent actions. The client writes each to its outbox with a client mutation id before the
 * UI shows it, applies it optimistically to its cache, and the server applies it at most
 * once per (clientId, mutation id). The REST API applies the same mutations.
 */
export const ReplyArgs = z.object({
  /** Chosen by the client so the optimistic row and the server's row are one. */
  messageId: Id,
  conversationId: Id,
  text: z.string().trim().min(1, 'a reply needs text').max(100_000),
  html: z.string().max(1_000_000).optional(),
  /** Agent replies are transactional; a promotional send is refused once the customer opted out. */
  purpose: ConsentPurpose.optional(),
  /** Send an approved template instead of free text (WhatsApp outside the 24-hour window). */
  template: OutboundTemplate.optional(),
  /**
   * The channel to send on; by default the one the customer last used in the conversation. A
   * conversation holds every channel: an SMS reply from a phone conversation stays in it. When
   * `conversationId` is not taken yet, the reply starts that conversation (its id chosen by the
   * client, like `messageId`) for `customerId`.
   */
  channel: Channel.optional(),
  /** Required when the reply starts a conversation (checked where the mutation applies: a refinement would stop `.omit` here). */
  customerId: Id.optional(),
  /**
   * The inbox to send from (the SMS number, the email address); by default the one this
   * conversation last used on the channel, else the customer's most recent one on it.
   */
  inbox: z.string().trim().min(1).max(200).optional(),
  /** Email only: the subject to send under (by default "Re: " and the conversation's subject). */
  subject: z.string().trim().min(1, 'the subject is empty').max(998).optional(),
  /** Email only: copies to these addresses. */
  cc: z.array(z.email('cc needs email addresses')).max(50).optional(),
})
export const NoteArgs = z.object({
  noteId: Id,
  conversationId: Id,
  text: z.string().trim().min(1, 'a note needs text').max(100_000),
  /** Users named with @ in the text; each must be able to see the conversation. */
  mentions: z.array(Id).max(50, 'a note can mention at most 50 people').default([]),
})
export const AssignArgs = z.object({
  conversationId: Id,
  assigneeId: Id.nullable(),
  team: z.string().max(100).nullable().optional(),
})
export const SetStatusArgs = z
  .object({
    conversationId: Id,
    status: ConversationStatus,
    snoozedUntil: Timestamp.nullable().optional(),
  })
  .refine((a) => a.status !== 'snoozed' || a.snoozedUntil, {
    message: 'snoozing needs a snoozedUntil time',
    path: ['snoozedUntil'],
  })
export const LabelArgs = z
  .object({
    conversationId: Id,
    add: z.array(Label).max(50).default([]),
    remove: z.array(Label).max(50).default([]),
  })
  .refine((a) => a.add.length + a.remove.length > 0, { message: 'add or remove at least one label' })
export const SetPriorityArgs = z.object({
  conversationId: Id,
  priority: Priority,
})
/**
 * Moves messages and calls of one conversation into another of the same customer's, or splits
 * them out into a new one (`split`: `toConversationId` then names it, chosen by the client).
 * `moveId` is chosen by the client too, so it can offer the undo at once.
 */
export const MoveItemsFields = z.object({
  moveId: Id,
  fromConversationId: Id,
  toConversationId: Id,
  split: z.boolean().default(false),
  messageIds: z.array(Id).max(1000).default([]),
  callIds: z.array(Id).max(1000).default([]),
})
export const MoveItemsArgs = MoveItemsFields
  .refine((a) => a.messageIds.length + a.callIds.length > 0, { message: 'choose at least one message or call to move' })
  .refine((a) => a.fromConversationId !== a.toConversationId, {
    message: 'the messages are already in that conversation',
    path: ['toConversationId'],
  })
/** Moves back exactly what that move moved (what is still where it was put). */
export const UndoMoveArgs = z.object({ moveId: Id })
/** Creates or changes a saved view of the inbox (only its owner may change it). */
export const SaveViewArgs = z.object({
  viewId: Id,
  name: z.string().trim().min(1, 'a view needs a name').max(80, 'a view name can be at most 80 characters'),
  /** Share it with this team (the owner's own; supervisors and admins may name any), or null for the owner alone. */
  team: z.string().trim().min(1).max(100).nullable().default(null),
  filters: ViewFilters,
})
export const DeleteViewArgs = z.object({ viewId: Id })
/** The agent's notes on a call record; replaces the previous notes. */
export const CallNoteArgs = z.object({
  callId: Id,
  notes: z.string().max(100_000),
})
/**
 * A call the agent had outside the phone integration, logged by hand. Like a reply it may start
 * the conversation: when `conversationId` is not known yet the server opens a voice conversation
 * with that id for `customerId`.
 */
export const LogCallArgs = z.object({
  callId: Id,
  conversationId: Id,
  customerId: Id,
  /** The new voice conversation's inbox; by default the customer's most recent one. */
  inbox: z.string().trim().min(1).max(200).optional(),
  direction: Direction,
  outcome: CallOutcome,
  durationSeconds: z.number().int().nonnegative().max(7 * 24 * 3600),
  notes: z.string().max(100_000).default(''),
})
/** Labels on the customer (not on one conversation). */
export const CustomerLabelArgs = z
  .object({
    customerId: Id,
    add: z.array(Label).max(50).default([]),
    remove: z.array(Label).max(50).default([]),
  })
  .refine((a) => a.add.length + a.remove.length > 0, { message: 'add or remove at least one label' })
/**
 * Moves the source customer's identities and conversations (with their items) to the target and
 * marks the source merged. `mergeId` is chosen by the client so it can offer the undo at once.
 */
export const MergeCustomersArgs = z
  .object({
    mergeId: Id,
    sourceId: Id,
    targetId: Id,
  })
  .refine((a) => a.sourceId !== a.targetId, { message: 'a customer cannot be merged into itself', path: ['targetId'] })
/** Moves back exactly what that merge moved. */
export const UnmergeCustomersArgs = z.object({ mergeId: Id })
/** The agent decided two customers suggested as one person are not. */
export const DismissSuggestionArgs = z.object({ suggestionId: Id })
/** The agent vouches for an address the customer only claimed (they checked it with the customer). */
export const VerifyIdentityArgs = z.object({ identityId: Id })
/** Writes the customer's story afresh now rather than after the next message (rate-limited per customer). */
export const RegenerateSummaryArgs = z.object({ customerId: Id })
/** An agent's judgement of one version of a summary (`generatedAt` names the version), kept for evaluating summarizers. */
export const RateSummaryArgs = z.object({ summaryId: Id, generatedAt: Timestamp, rating: z.enum(['up', 'down']) })
/**
 * The agent opened the customer's timeline, which the app reads from its cache: reported for the
 * audit log only, with the time it was opened, so a view made offline keeps its own time.
 */
export const TimelineOpenedArgs = z.object({ customerId: Id, openedAt: Timestamp })
/**
 * An agent records what the customer told them about consent ("don't text me any more", said on a
 * call). The change appears in `conversationId`, the customer's conversation the agent has open.
 */
export const SetConsentArgs = z.object({
  customerId: Id,
  conversationId: Id,
  changes: z.partialRecord(ConsentKey, z.boolean()).refine((c) => Object.keys(c).length > 0, 'name at least one consent key'),
  /** How the customer said so, in the agent's words (kept in the consent history). */
  note: z.string().trim().max(500).optional(),
})

export const MUTATION_ARGS = {
  reply: ReplyArgs,
  note: NoteArgs,
  assign: AssignArgs,
  setStatus: SetStatusArgs,
  label: LabelArgs,
  setPriority: SetPriorityArgs,
  moveItems: MoveItemsArgs,
  undoMove: UndoMoveArgs,
  saveView: SaveViewArgs,
  deleteView: DeleteViewArgs,
  callNote: CallNoteArgs,
  logCall: LogCallArgs,
  customerLabel: CustomerLabelArgs,
  mergeCustomers: MergeCustomersArgs,
  unmergeCustomers: UnmergeCustomersArgs,
  dismissSuggestion: DismissSuggestionArgs,
  verifyIdentity: VerifyIdentityArgs,
  regenerateSummary: RegenerateSummaryArgs,
  rateSummary: RateSummaryArgs,
  timelineOpened: TimelineOpenedArgs,
  setConsent: SetConsentArgs,
} as const

export type MutationName = keyof typeof MUTATION_ARGS
export type MutationArgs<N extends MutationName> = z.output<(typeof MUTATION_ARGS)[N]>

export const Mutation = z.discriminatedUnion('name', [
  z.object({ id: z.number().int().positive(), name: z.literal('reply'), args: ReplyArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('note'), args: NoteArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('assign'), args: AssignArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('setStatus'), args: SetStatusArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('label'), args: LabelArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('callNote'), args: CallNoteArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('customerLabel'), args: CustomerLabelArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('mergeCustomers'), args: MergeCustomersArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('unmergeCustomers'), args: UnmergeCustomersArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('dismissSuggestion'), args: DismissSuggestionArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('verifyIdentity'), args: VerifyIdentityArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('logCall'), args: LogCallArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('setPriority'), args: SetPriorityArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('moveItems'), args: MoveItemsArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('undoMove'), args: UndoMoveArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('saveView'), args: SaveViewArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('deleteView'), args: DeleteViewArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('regenerateSummary'), args: RegenerateSummaryArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('rateSummary'), args: RateSummaryArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('timelineOpened'), args: TimelineOpenedArgs }),
  z.object({ id: z.number().int().positive(), name: z.literal('setConsent'), args: SetConsentArgs }),
])
export type Mutation = z.output<typeof Mutation>
