import { z } from 'zod'
import { CHANNELS, CONVERSATION_STATUSES, PRIORITIES, ROLES } from './domain-values'
import { Channel, Id, Timestamp } from './primitives'
import { ReportingEvent } from './reporting/events'
import { ConversationSla } from './reporting/sla'

/**
 * Domain entities shared by the sync server, the client cache and the renderer.
 * Timestamps are epoch milliseconds: they sort and index cheaply in SQLite and PostgreSQL.
 */

export { CHANNELS, CONVERSATION_STATUSES, PRIORITIES }

export { Channel, Id, Timestamp }

export const IdentityKind = z.enum(['email', 'phone', 'whatsapp', 'chat'])
export type IdentityKind = z.infer<typeof IdentityKind>

export const ConversationStatus = z.enum(CONVERSATION_STATUSES)
export type ConversationStatus = z.infer<typeof ConversationStatus>

export const Priority = z.enum(PRIORITIES)
export type Priority = z.infer<typeof Priority>

export const Direction = z.enum(['inbound', 'outbound'])
export type Direction = z.infer<typeof Direction>

/** Inbound messages are `received`; outbound ones move queued → sent → delivered → read, or failed. */
export const DeliveryStatus = z.enum(['received', 'queued', 'sent', 'delivered', 'read', 'failed'])
export type DeliveryStatus = z.infer<typeof DeliveryStatus>

export const Role = z.enum(ROLES)
export type Role = z.infer<typeof Role>

export const ConsentPurpose = z.enum(['transactional', 'promotional'])
export type ConsentPurpose = z.infer<typeof ConsentPurpose>

/**
 * What a customer's consent map holds: a purpose (transactional, promotional), or a channel as
 * a whole — an SMS STOP withdraws `sms` (no SMS at all) as well as `promotional` (anywhere).
 */
export const ConsentKey = z.enum([...ConsentPurpose.options, ...CHANNELS])
export type ConsentKey = z.infer<typeof ConsentKey>

/** A pre-approved message template (WhatsApp outside the 24-hour window); the provider holds its text. */
export const OutboundTemplate = z.object({
  name: z.string().trim().min(1).max(512),
  /** The template's language code, e.g. en_US. */
  language: z.string().trim().min(2).max(15),
  /** Body parameters {{1}}, {{2}}… in order. */
  parameters: z.array(z.string().max(1024)).max(50).default([]),
})
export type OutboundTemplate = z.infer<typeof OutboundTemplate>

export const Label = z.string().trim().min(1).max(64)
export const AttributeValue = z.union([z.string(), z.number(), z.boolean(), z.null()])

export const User = z.object({
  id: Id,
  name: z.string(),
  email: z.string(),
  role: Role,
  team: z.string().nullable(),
  /** Inboxes this user may see; null means every inbox. */
  inboxes: z.array(z.string()).nullable(),
  createdAt: Timestamp,
  /** Set while an admin has deactivated the user: no tokens, no sign-in; kept so their past work still names them. */
  deactivatedAt: Timestamp.nullish(),
})
export type User = z.infer<typeof User>

export const Customer = z.object({
  id: Id,
  name: z.string(),
  labels: z.array(Label),
  attributes: z.record(z.string(), AttributeValue),
  /** Consent per purpose (and per channel); a key missing from the map has never been asked. */
  consent: z.partialRecord(ConsentKey, z.boolean()),
  /**
   * Per consent key, when the customer last said so (the time of the message that asked, not
   * of its processing): a request older than this that is stored late does not override it.
   */
  consentChangedAt: z.partialRecord(ConsentKey, Timestamp).nullish(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastActivityAt: Timestamp,
  /** Set while this record is merged into another customer (its identities and conversations moved there); cleared by an undo. */
  mergedInto: Id.nullish(),
})
export type Customer = z.infer<typeof Customer>

/**
 * Why an address is not proven to be the customer's: typed into the web chat's pre-chat or
 * offline form, or the From: of an email whose domain's DMARC check failed. Such an address never
 * links a message to a customer who already has it; an agent, a one-time code or a signature
 * from the embedding site proves it.
 */
export const UnverifiedReason = z.enum(['typed_in_chat', 'failed_dmarc'])
export type UnverifiedReason = z.infer<typeof UnverifiedReason>

export const Identity = z.object({
  id: Id,
  customerId: Id,
  kind: IdentityKind,
  /** Normalized: lower-case email, E.164 phone / WhatsApp number, chat visitor id. */
  address: z.string(),
  displayName: z.string().nullable(),
  createdAt: Timestamp,
  /** Set while the address is only claimed; absent or null: proven by its channel. */
  unverified: UnverifiedReason.nullish(),
})
export type Identity = z.infer<typeof Identity>

/**
 * One matter of a customer's: it may hold messages and calls on several channels, as the
 * customer moves from chat to SMS to email. What routes a later item of each channel into it
 * (email thread, chat session, SMS or WhatsApp number and the inbox it uses) is kept per channel
 * on the server (store: conversation threads).
 */
export const Conversation = z.object({
  id: Id,
  customerId: Id,
  /** The channel the customer last used in it (where it started, until they switch). */
  channel: Channel,
  /** The inbox it started in, which decides who may see it. */
  inbox: z.string(),
  subject: z.string().nullable(),
  status: ConversationStatus,
  snoozedUntil: Timestamp.nullable(),
  assigneeId: Id.nullable(),
  team: z.string().nullable(),
  /** The key that routed its first item, on the channel it started on. */
  threadKey: z.string(),
  labels: z.array(Label),
  priority: Priority,
  /** The resolved conversation this one continues: the customer came back after it could no longer be reopened. */
  previousConversationId: Id.nullable(),
  lastMessageAt: Timestamp,
  /** When the customer last wrote and has not been answered since; null when answered. */
  waitingSince: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Its service-level clocks, moved by the server on every write; absent when no SLA policy covers it. */
  sla: ConversationSla.nullish(),
})
export type Conversation = z.infer<typeof Conversation>

export const Attachment = z.object({
  name: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  url: z.string().nullable(),
  /** Why `url` is null (e.g. larger than the server keeps), for the agent to read. */
  note: z.string().max(500).optional(),
})
export type Attachment = z.infer<typeof Attachment>

/**
 * Why an inbound message's HTML was not kept (larger, or nested deeper, than a mail client ever
 * sends; the server will not spend longer on it): the text part is shown instead.
 */
export const HtmlOmitted = z.enum(['too_large', 'too_complex'])
export type HtmlOmitted = z.infer<typeof HtmlOmitted>

export const Message = z.object({
  id: Id,
  conversationId: Id,
  customerId: Id,
  channel: Channel,
  direction: Direction,
  /** The agent who wrote an outbound message; null for the customer's messages. */
  authorId: Id.nullable(),
  authorName: z.string(),
  subject: z.string().nullable(),
  text: z.string(),
  /** Sanitized on the server before it is stored. */
  html: z.string().nullable(),
  /** Set when the sender's HTML was dropped and only the text is kept. */
  htmlOmitted: HtmlOmitted.nullish(),
  /** Inbound only: set when the sender's address is not proven (an email failing DMARC). */
  unverifiedSender: UnverifiedReason.nullish(),
  attachments: z.array(Attachment),
  /** Provider id (Message-ID, MessageSid, wamid…); unique per channel. */
  externalId: z.string().nullable(),
  deliveryStatus: DeliveryStatus,
  deliveryError: z.string().nullable(),
  sentAt: Timestamp,
  updatedAt: Timestamp,
  /** Outbound only: why it is sent, checked against the customer's consent at send time (absent: transactional). */
  purpose: ConsentPurpose.nullish(),
  /** Outbound only: sent as this approved template rather than as free text. */
  template: OutboundTemplate.nullish(),
  /** Outbound email only: the addresses copied. */
  cc: z.array(z.string()).nullish(),
})
export type Message = z.infer<typeof Message>

export const Note = z.object({
  id: Id,
  conversationId: Id,
  customerId: Id,
  authorId: Id,
  authorName: z.string(),
  text: z.string(),
  /** Users the note names with @, who see it in their Mentions. */
  mentions: z.array(Id),
  createdAt: Timestamp,
})
export type Note = z.infer<typeof Note>

export const CallOutcome = z.enum(['answered', 'missed', 'voicemail', 'failed'])
export type CallOutcome = z.infer<typeof CallOutcome>

export const Call = z.object({
  id: Id,
  conversationId: Id,
  customerId: Id,
  direction: Direction,
  status: z.enum(['ringing', 'in-progress', 'completed']),
  outcome: CallOutcome.nullable(),
  durationSeconds: z.number().int().nonnegative().nullable(),
  recordingUrl: z.string().nullable(),
  transcript: z.string().nullable(),
  /** The agent's notes on the call. */
  notes: z.string().nullable(),
  agentId: Id.nullable(),
  externalId: z.string().nullable(),
  startedAt: Timestamp,
  updatedAt: Timestamp,
})
export type Call = z.infer<typeof Call>

export const EventType = z.enum([
  'assigned',
  'status_changed',
  'labels_changed',
  'customer_merged',
  'consent_changed',
  /** A consent request stored late, older than the customer's latest word on it: recorded, not applied. */
  'consent_superseded',
  /** Another customer is probably the same person; `data` names them and why (never merged silently). */
  'identity_suggested',
  /** The customer wrote on another channel than before in this conversation: `data` is { from, to }. */
  'channel_switched',
  /** An agent moved messages or calls out of or into this conversation; `data` says which, where, and whether it was undone. */
  'items_moved',
  'priority_changed',
  /** A satisfaction survey went to the customer on resolving; `data` is a CsatRequestData (shared/csat.ts), kept up to date when answered. */
  'csat_requested',
  /** The customer rated the conversation; `data` is a CsatAnswerData. */
  'csat_answered',
])
export type EventType = z.infer<typeof EventType>

/** Something that happened to a conversation and shows in the timeline. */
export const TimelineEvent = z.object({
  id: Id,
  conversationId: Id,
  customerId: Id,
  type: EventType,
  actorId: Id.nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
})
export type TimelineEvent = z.infer<typeof TimelineEvent>

/**
 * What a saved view of the inbox shows: every field narrows it, and a list matches any of its
 * values. `assignee` is a user id, 'me' (whoever opens the view) or 'unassigned'.
 */
export const ViewFilters = z.object({
  status: z.array(ConversationStatus).max(CONVERSATION_STATUSES.length).optional(),
  assignee: z.union([z.literal('me'), z.literal('unassigned'), Id]).optional(),
  labels: z.array(Label).max(20).optional(),
  priorities: z.array(Priority).max(PRIORITIES.length).optional(),
  channels: z.array(Channel).max(CHANNELS.length).optional(),
  inboxes: z.array(z.string().min(1).max(200)).max(50).optional(),
  teams: z.array(z.string().min(1).max(100)).max(50).optional(),
  /** Only conversations whose customer has waited at least this long for an answer. */
  waitingMinutes: z.number().int().positive().max(60 * 24 * 365).optional(),
})
export type ViewFilters = z.infer<typeof ViewFilters>

/** A filter of the inbox an agent saved, for themselves or shared with their team. */
export const SavedView = z.object({
  id: Id,
  name: z.string().trim().min(1).max(80),
  ownerId: Id,
  /** Shared with this team (its members see it in their sidebar); null: only the owner sees it. */
  team: z.string().nullable(),
  filters: ViewFilters,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Set when its owner deleted it: kept as a row so every cache learns it is gone. */
  deletedAt: Timestamp.nullable(),
})
export type SavedView = z.infer<typeof SavedView>

export const SummaryKind = z.enum([
  /** The customer's whole story across conversations and channels: one per customer. */
  'customer_story',
  /** One conversation's, written when it is resolved. */
  'wrap_up',
  /** One call's, from its transcript and the agent's notes, written when it ends. */
  'call',
])
export type SummaryKind = z.infer<typeof SummaryKind>

export const FactKind = z.enum(['request', 'promise', 'identifier', 'amount', 'date', 'preference', 'open_question', 'sentiment'])
export type FactKind = z.infer<typeof FactKind>

/** One thing a summary states, with the items (messages, calls, notes) that say so. */
export const SummaryFact = z.object({
  kind: FactKind,
  /** The fact in a short sentence, shown on its chip's tooltip and read by agents. */
  text: z.string().min(1).max(400),
  /** For identifiers, amounts and dates: the value itself, exactly as it occurs in the cited items. */
  value: z.string().min(1).max(120).nullish(),
  /** The items it comes from; every one of them says it. */
  sourceIds: z.array(Id).min(1).max(20),
})
export type SummaryFact = z.infer<typeof SummaryFact>

export const SummaryProvider = z.enum(['embedded', 'model'])
export type SummaryProvider = z.infer<typeof SummaryProvider>

/**
 * A summary: a customer's story, a conversation's wrap-up or a call's. Its id says what it
 * summarizes (summaryId in shared/summaries.ts), so a newer version replaces the older one.
 */
export const Summary = z.object({
  id: Id,
  kind: SummaryKind,
  customerId: Id,
  /** The conversation a wrap-up or a call summary belongs to; null for a customer story. */
  conversationId: Id.nullable(),
  /** The call a call summary is about. */
  callId: Id.nullable(),
  /** At most 80 words for a story: the ask, what was done or promised, what is open, the status. */
  text: z.string().max(2000),
  facts: z.array(SummaryFact).max(60),
  provider: SummaryProvider,
  /** The model's name when a model wrote it. */
  model: z.string().max(200).nullable(),
  /** Why the embedded summarizer answered although a model is configured (timed out, refused, not allowed for an inbox). */
  fallbackReason: z.string().max(500).nullable(),
  /** The newest item it covers and its time: an item after it makes the summary stale. */
  coversItemId: Id.nullable(),
  coversThrough: Timestamp,
  /** How many items (messages, calls, notes) it read. */
  itemCount: z.number().int().nonnegative(),
  /** The inboxes of the items it read: it reaches only those who may see every one of them. */
  inboxes: z.array(z.string()),
  generatedAt: Timestamp,
  /** Written by this device's core from its cache (offline, or from what this agent may see); never by the server. */
  updatedOnDevice: z.boolean().nullish(),
})
export type Summary = z.infer<typeof Summary>

export const ENTITY_SCHEMAS = {
  user: User,
  customer: Customer,
  identity: Identity,
  conversation: Conversation,
  message: Message,
  note: Note,
  call: Call,
  event: TimelineEvent,
  savedView: SavedView,
  summary: Summary,
  reportingEvent: ReportingEvent,
} as const

export type EntityName = keyof typeof ENTITY_SCHEMAS
export const EntityName = z.enum(Object.keys(ENTITY_SCHEMAS) as [EntityName, ...EntityName[]])

export interface EntityTypes {
  user: User
  customer: Customer
  identity: Identity
  conversation: Conversation
  message: Message
  note: Note
  call: Call
  event: TimelineEvent
  savedView: SavedView
  summary: Summary
  reportingEvent: ReportingEvent
}
