import { z } from 'zod'
import {
  Call,
  CallOutcome,
  Channel,
  Conversation,
  ConversationStatus,
  Customer,
  Direction,
  EntityName,
  Id,
  Identity,
  Message,
  Note,
  OutboundTemplate,
  Priority,
  SavedView,
  Summary,
  TimelineEvent,
  Timestamp,
  User,
  ViewFilters,
} from './domain'
import {
  AssignArgs,
  CustomerLabelArgs,
  DeleteViewArgs,
  LabelArgs,
  MoveItemsArgs,
  NoteArgs,
  RateSummaryArgs,
  RegenerateSummaryArgs,
  ReplyArgs,
  SaveViewArgs,
  SetConsentArgs,
  SetPriorityArgs,
  SetStatusArgs,
  UndoMoveArgs,
  VerifyIdentityArgs,
  type MutationName,
} from './mutations'
import { PASSWORD_MAX } from './sessions'
import type { ConsentRecord } from './consent-history'
import { RetentionSettings, type RetentionRun } from './retention'
import { SEARCH_TEXT_MAX } from './domain-values'
import type { InboxInfo } from './inbox-settings'
import type { Staleness } from './summaries'
import type { SummaryUsageOfDay } from './summary-usage'
import type { SavedExport } from './customer-export'
import { AuditFilter, AuditQuery, type AuditPage } from './audit'
import type { Erasure, ErasurePolicy, RestoreResult } from './privacy'
import type { TypingNotice } from './sync'
import type { AgentStatus } from './agent-status'
import { NewUser, UserAccess, type AdminDirectory } from './admin'
import { NewIntegration, type ApiTokenInfo, type IntegrationInfo } from './tokens'
import { IPC_METHODS, type IpcMethod } from './ipc-methods'
import { DrillSort, PageArgs, type Page } from './reporting/drill-pages'
import { LiveFigure, type LiveQueues } from './reporting/live-queues'
import type { ConversationRow } from './reporting/csv'
import type { SlaTarget } from './reporting/events'
import type { Report } from './reporting/metrics'
import { ReportQuery } from './reporting/report-query'

/**
 * The one contract between the renderer and the client core. Each handler declares its
 * arguments as a zod schema (parsed where the core receives them) and its result type.
 * Electron carries it over a MessagePort, the browser host over a loopback WebSocket.
 */

export const OutboxState = z.object({
  mutationId: z.number().int(),
  state: z.enum(['pending', 'failed']),
  error: z.string().nullable(),
})
export type OutboxState = z.infer<typeof OutboxState>

/** One queued or refused agent action, for the UI's list of actions awaiting the server. */
export interface OutboxEntry extends OutboxState {
  name: MutationName
  conversationId: string
  customerId: string | null
  /** The message or note the action created, if any. */
  itemId: string | null
  args: unknown
  createdAt: number
}

export type InboxView = 'all' | 'mine' | 'unassigned'

/**
 * `activity`: latest first; `waiting`: the customer who has waited longest for an answer first;
 * `priority`: urgent first, each priority latest first; `due`: the SLA target due soonest first
 * (breached ones first of all), conversations with none due last.
 */
export const InboxSort = z.enum(['activity', 'waiting', 'priority', 'due'])
export type InboxSort = z.infer<typeof InboxSort>

/** Conversations per sidebar entry, under the status filter the agent chose. */
export interface InboxCounts {
  views: Record<InboxView, number>
  teams: { team: string; count: number }[]
  channels: { channel: Channel; count: number }[]
  /** Unread, unresolved conversations assigned to the agent: the window title / badge count. */
  mineUnread: number
}

/** Text with the words that matched a search marked, in order. */
export type HighlightedText = { text: string; match: boolean }[]

export const SearchKind = z.enum(['message', 'note', 'customer'])
export type SearchKind = z.infer<typeof SearchKind>

export interface SearchHit {
  kind: SearchKind
  /** The message, note or customer id. */
  id: string
  customerId: string
  customerName: string
  /** The message's or note's conversation; for a customer, their latest one (null if none). */
  conversationId: string | null
  channel: Channel | null
  status: ConversationStatus | null
  at: number
  /** Email subject or customer name, highlighted; empty when there is none. */
  title: HighlightedText
  /** The best-matching part of the text (or a customer's addresses), highlighted. */
  snippet: HighlightedText
}

/**
 * One step over many conversations (the inbox's bulk actions): the fields of the one-conversation
 * action without its conversation. The core checks each against that action's own rules
 * (mutations.ts: snoozing needs a time, a label change needs a label).
 */
export const BulkAction = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('assign'), ...AssignArgs.omit({ conversationId: true }).shape }),
  z.object({ kind: z.literal('setStatus'), status: SetStatusArgs.shape.status, snoozedUntil: SetStatusArgs.shape.snoozedUntil }),
  z.object({ kind: z.literal('label'), add: LabelArgs.shape.add, remove: LabelArgs.shape.remove }),
  z.object({ kind: z.literal('setPriority'), ...SetPriorityArgs.omit({ conversationId: true }).shape }),
])
export type BulkAction = z.infer<typeof BulkAction>

/** How many conversations one bulk step may touch. */
export const BULK_MAX = 1_000

export interface BulkResult {
  /** Pass to `conversations.bulkUndo` to put every conversation back as it was. */
  bulkId: string
  /** The conversations the step changed (those already as asked are left alone). */
  changed: number
}

/** A note that names the signed-in agent with @, for their Mentions view. */
export interface MentionItem {
  noteId: string
  conversationId: string
  customerId: string
  customerName: string
  authorName: string
  text: string
  createdAt: number
  unread: boolean
}

export interface MentionList {
  items: MentionItem[]
  /** Unread mentions of the agent in the whole cache, not just the listed ones. */
  unread: number
}

/** New notes that mention the agent, after they reached the cache by sync. */
export interface MentionsArrived {
  items: MentionItem[]
}

/** SLA targets of the supervisor's team that passed unmet, as their `sla_breached` events reached the cache. */
export interface SlaBreachesArrived {
  items: { eventId: string; conversationId: string; customerId: string; customerName: string; target: SlaTarget }[]
}

/** A saved view as the sidebar lists it. */
export interface SavedViewItem extends SavedView {
  /** The signed-in agent owns it, so may change or delete it. */
  mine: boolean
  /** Its latest save or delete while the server has not taken it; a refusal carries the server's reason. */
  outbox: OutboxState | null
}

export interface ConversationListItem extends Conversation {
  customerName: string
  preview: string
  assigneeName: string | null
  pending: boolean
  /** Something happened since the agent last opened it, or they marked it unread. */
  unread: boolean
}

export type TimelineItem =
  | { kind: 'message'; at: number; item: Message; outbox: OutboxState | null }
  | { kind: 'note'; at: number; item: Note; outbox: OutboxState | null }
  | { kind: 'call'; at: number; item: Call; outbox: null }
  | { kind: 'event'; at: number; item: TimelineEvent; outbox: null }
  /** A conversation's wrap-up or a call's summary, where the conversation ended or the call did. */
  | { kind: 'summary'; at: number; item: Summary; outbox: null }

export interface TimelinePage {
  items: TimelineItem[]
  /** Pass as `before` to load the page of older items; null when there are none. */
  before: { at: number; id: string } | null
  /** Pass as `after` to load the page of newer items; null when this page reaches the latest. */
  after?: { at: number; id: string } | null
}

export interface CustomerProfile {
  customer: Customer
  identities: Identity[]
  conversations: Conversation[]
}

/** A probable duplicate of the customer (an `identity_suggested` event) awaiting an agent's decision. */
export interface CustomerSuggestionItem {
  suggestionId: string
  /** The conversation the evidence arrived in. */
  conversationId: string
  candidateId: string
  candidateName: string
  /** Null when the candidate is not in this device's cache. */
  candidate: Customer | null
  detail: string
  at: number
}

/** A merge into (or out of) the customer that can still be undone. */
export interface CustomerMergeItem {
  mergeId: string
  sourceId: string
  sourceName: string
  targetId: string
  targetName: string
  identities: number
  conversations: number
  at: number
}

/** What a merge of `source` into `target` would move, read from this device's cache. */
export interface MergePreview {
  source: Customer
  target: Customer
  identities: Identity[]
  conversations: Conversation[]
  messages: number
  notes: number
  calls: number
}

export interface CustomerRelated {
  suggestions: CustomerSuggestionItem[]
  merges: CustomerMergeItem[]
  /** Merges and undos this agent queued that the server has not applied yet (shown as pending). */
  pending: { mutationId: number; name: 'mergeCustomers' | 'unmergeCustomers'; state: 'pending' | 'failed'; error: string | null }[]
}

/** A summary as the customer pane shows it: how far behind it is, and what this agent did with it. */
export interface SummaryView extends Summary {
  /** Items of its subject newer than the last one it covers ("3 new messages since 10:42"). */
  staleness: Staleness
  /** This agent's rating of this version, if any. */
  myRating: 'up' | 'down' | null
}

export interface CustomerSummaries {
  /** Null when neither the server nor this device has written one yet. */
  story: SummaryView | null
  /** A regeneration this agent asked for that the server has not answered yet, or its refusal. */
  regenerating: OutboxState | null
}

/** New inbound messages in the agent's own conversations, after they reached the cache. */
export interface InboundArrived {
  items: { messageId: string; conversationId: string; customerId: string; customerName: string; channel: Channel; preview: string }[]
  /** True when they came in one catch-up (a pull after reconnecting): show one summary, not one per message. */
  batched: boolean
}

/** Another agent viewing or typing in a conversation (ephemeral, never stored). */
export interface PresenceEntry {
  userId: string
  name: string
  typing: boolean
}

export const SyncStatus = z.enum(['connecting', 'syncing', 'online', 'offline'])
export type SyncStatus = z.infer<typeof SyncStatus>

export interface SyncState {
  status: SyncStatus
  /** Actions waiting to reach the server. */
  pending: number
  /** Actions the server refused; they wait for a retry or a discard. */
  failed: number
  cursor: number
  lastError: string | null
  lastSyncedAt: number | null
  /** While syncing: changes received so far in this catch-up, for a progress line. */
  received?: number
  /** Why this device's cache was deleted and is being filled again from the server, when it was at this start. */
  cacheNotice?: string
}

export interface Session {
  user: User
  serverUrl: string
}

/** Whether the core has a server and token to sync with; the token itself never leaves the core. */
export type SessionState =
  | { status: 'signed-in'; serverUrl: string; user: User | null }
  | {
      status: 'signed-out'
      /** Last server and email used on this device, to fill in the sign-in form. */
      serverUrl: string | null
      email: string | null
      /** Why the agent was signed out when it was not their own doing (token refused), else null. */
      reason: string | null
      /** Actions still queued in the cache; they are sent when the same user signs in again. */
      pendingActions: number
    }

export type SignInFailureReason =
  | 'unreachable'
  | 'not_threadline'
  | 'wrong_credentials'
  | 'rate_limited'
  | 'invalid'
  /** Another user's unsent actions are in the cache: signing in as someone else would drop them. */
  | 'other_users_actions'

export type SignInResult = { ok: true; session: SessionState } | { ok: false; reason: SignInFailureReason; message: string }

const Cursor = z.object({ at: Timestamp, id: Id })

/** An approved WhatsApp template picked in the composer, with its parameters as typed so far. */
export const TemplateDraft = z.object({
  name: z.string().max(512),
  language: z.string().max(15),
  parameters: z.array(z.string().max(1024)).max(50),
})
export type TemplateDraft = z.infer<typeof TemplateDraft>

/** What the composer was holding for one conversation, kept in the cache until sent. */
export const ComposerDraft = z.object({
  mode: z.enum(['reply', 'note']),
  /** The editor's document (TipTap JSON), restored as it was. */
  doc: z.unknown(),
  /** The reply channel the agent picked, when it was not the default. */
  channel: Channel.optional(),
  /** The email subject as the agent edited it (absent: the conversation's default). */
  subject: z.string().max(1_000).optional(),
  /** The cc field as typed, unparsed: a half-typed address is restored as it was. */
  cc: z.string().max(2_000).optional(),
  template: TemplateDraft.optional(),
})
export type ComposerDraft = z.infer<typeof ComposerDraft>

/** A saved reply; `{{customer.name}}`, `{{agent.name}}` and `{{conversation.subject}}` are filled in on insert. */
export interface CannedResponse {
  id: string
  title: string
  /** Typed after "/" to find it. */
  shortcut: string
  body: string
}

export interface DownloadedAttachment {
  name: string
  contentType: string
  /** The file's bytes, base64: the IPC channel carries JSON. */
  base64: string
}

/** What a reply may carry beyond its text: email's subject and copies, WhatsApp's template. */
const ReplyExtras = {
  subject: z.string().trim().min(1, 'the subject is empty').max(998).optional(),
  cc: z.array(z.email('cc needs email addresses')).max(50).optional(),
  template: OutboundTemplate.optional(),
}

/** Messages and calls the agent picked in one conversation's timeline, to move or split out. */
const PickedItems = {
  fromConversationId: MoveItemsArgs.shape.fromConversationId,
  messageIds: MoveItemsArgs.shape.messageIds,
  callIds: MoveItemsArgs.shape.callIds,
}
const somethingPicked = [
  (a: { messageIds: string[]; callIds: string[] }) => a.messageIds.length + a.callIds.length > 0,
  { message: 'choose at least one message or call to move' },
] as const

/** One figure of a report: its query, and the figure's key among its drill-downs. */
const ReportFigureArgs = z.object({ query: ReportQuery, key: z.string().min(1).max(300) })

export const IPC_ARGS = {
  'session.get': z.object({}),
  'session.state': z.object({}),
  'session.signIn': z.object({
    serverUrl: z.string().trim().min(1, 'type the server address').max(2_000),
    email: z.string().trim().min(1, 'type your email address').max(320),
    password: z.string().min(1, 'type your password').max(PASSWORD_MAX),
    /** Confirms dropping another user's unsent actions, after the first attempt answered `other_users_actions`. */
    discardOtherUsersActions: z.boolean().default(false),
  }),
  /** Revokes this device's token on the server, forgets it, and keeps the cache for the next sign-in. */
  'session.signOut': z.object({}),
  'users.list': z.object({}),
  'inbox.list': z.object({
    view: z.enum(['all', 'mine', 'unassigned']).default('all'),
    status: ConversationStatus.optional(),
    limit: z.number().int().positive().max(1_000).default(200),
    /** Narrows the view to one team or one channel. */
    team: z.string().min(1).max(100).optional(),
    channel: Channel.optional(),
    sort: InboxSort.default('activity'),
    /**
     * Continue after this row: `key` is lastMessageAt (activity, priority), waitingSince
     * (waiting) or the earliest unmet SLA due time (due) of the last row shown, and under the priority sort `priority` is its priority.
     */
    after: z.object({ key: z.number().int(), id: Id, priority: Priority.optional() }).optional(),
    /** Lists what this saved view matches (narrowed further by the fields above). */
    savedView: Id.optional(),
    /** Lists what these filters match, as a saved view would (narrowed further by the fields above). */
    filters: ViewFilters.optional(),
  }),
  'inbox.counts': z.object({ status: ConversationStatus.optional() }),
  /** The agent's own saved views and those shared with their team, by name. */
  'views.list': z.object({}),
  /** Creates a view (without `viewId`) or changes one of the agent's own; queued and shown at once. */
  'views.save': SaveViewArgs.extend({ viewId: Id.optional() }),
  'views.delete': DeleteViewArgs,
  /** How many conversations of the cache each listed view matches, by view id. */
  'views.counts': z.object({}),
  'search.query': z
    .object({
      text: z.string().trim().min(1, 'type something to search for').max(SEARCH_TEXT_MAX, `a search can be at most ${SEARCH_TEXT_MAX} characters long`),
      kinds: z.array(SearchKind).max(3).optional(),
      channel: Channel.optional(),
      status: ConversationStatus.optional(),
      /** null: unassigned conversations only. */
      assigneeId: Id.nullable().optional(),
      from: Timestamp.optional(),
      to: Timestamp.optional(),
      limit: z.number().int().positive().max(200).default(50),
    })
    .refine((a) => a.from === undefined || a.to === undefined || a.from < a.to, {
      message: 'the date range ends before it starts',
      path: ['to'],
    }),
  'conversation.markRead': z.object({ conversationId: Id }),
  'conversation.markUnread': z.object({ conversationId: Id }),
  'customer.get': z.object({ customerId: Id }),
  'customer.timeline': z
    .object({
      customerId: Id,
      limit: z.number().int().positive().max(1_000).default(100),
      before: Cursor.optional(),
      /** The page of items newer than this cursor, oldest first (scrolling down after a jump to a date). */
      after: Cursor.optional(),
      /** Jump to a date: the page of items at or before this time. */
      until: Timestamp.optional(),
    })
    .refine((a) => [a.before, a.after, a.until].filter((x) => x !== undefined).length <= 1, {
      message: 'pass at most one of before, after and until',
    }),
  /** The agent opened the customer's timeline: reported to the server for the audit log (once per customer per 10 minutes). */
  'customer.opened': z.object({ customerId: Id }),
  'conversation.reply': z.object({
    conversationId: Id,
    text: z.string().trim().min(1, 'a reply needs text').max(100_000),
    /** Send on this channel, inside this conversation (by default the one the customer last used in it). */
    channel: Channel.exclude(['voice']).optional(),
    ...ReplyExtras,
  }),
  /** Starts a conversation with the customer apart from the ones they have (a new matter, or a first message on a channel); it starts with this message. */
  'conversation.start': z.object({
    customerId: Id,
    channel: z.enum(['email', 'sms', 'whatsapp']),
    text: z.string().trim().min(1, 'a message needs text').max(100_000),
    /** The inbox it goes out from; without it, the one the customer's latest conversation on the channel used. */
    inbox: ReplyArgs.shape.inbox,
    ...ReplyExtras,
  }),
  'conversation.note': NoteArgs.omit({ noteId: true }),
  'conversation.assign': AssignArgs,
  'conversation.setStatus': SetStatusArgs,
  'conversation.label': LabelArgs,
  /** Moves the picked items into another of the customer's conversations; undone with `conversation.undoMove`. */
  'conversation.moveItems': z
    .object({ ...PickedItems, toConversationId: MoveItemsArgs.shape.toConversationId })
    .refine(...somethingPicked)
    .refine((a) => a.fromConversationId !== a.toConversationId, { message: 'the messages are already in that conversation', path: ['toConversationId'] }),
  /** Moves the picked items into a new conversation that continues this one. */
  'conversation.split': z.object(PickedItems).refine(...somethingPicked),
  'conversation.undoMove': UndoMoveArgs,
  'conversation.setPriority': SetPriorityArgs,
  /** One action on many conversations, queued and shown in one step (one undo). */
  'conversations.bulk': z.object({
    conversationIds: z.array(Id).min(1, 'choose at least one conversation').max(BULK_MAX, `at most ${BULK_MAX} conversations at once`),
    action: BulkAction,
  }),
  /** Puts each conversation of a bulk step back as it was before the step (queued like any action). */
  'conversations.bulkUndo': z.object({ bulkId: Id }),
  /** Notes naming the signed-in agent, newest first. */
  'mentions.list': z.object({ limit: z.number().int().positive().max(500).default(100) }),
  /** Marks these mentions read; without `noteIds`, every mention. Kept on this device only. */
  'mentions.markRead': z.object({ noteIds: z.array(Id).max(1_000).optional() }),
  /** The agent's notes on a call record (replaces earlier notes; empty clears them). */
  'call.addNote': z.object({ callId: Id, notes: z.string().max(100_000) }),
  /** A call the agent had, logged by hand into the customer's latest voice conversation (or a new one). */
  'call.log': z.object({
    customerId: Id,
    /** The conversation on screen, which the call joins; without it, the customer's latest phone conversation, or a new one. */
    conversationId: Id.optional(),
    direction: Direction,
    outcome: CallOutcome,
    durationSeconds: z.number().int().nonnegative().max(7 * 24 * 3600),
    notes: z.string().max(100_000).default(''),
  }),
  'outbox.list': z.object({ state: z.enum(['pending', 'failed']).optional() }),
  'outbox.retry': z.object({ mutationId: z.number().int().positive() }),
  'outbox.discard': z.object({ mutationId: z.number().int().positive() }),
  'sync.state': z.object({}),
  /** Fetches an attachment through the server's attachment route (it needs the agent's token). */
  'attachment.download': z.object({ url: z.string().regex(/^\/api\/v1\/attachments\/[0-9a-f]{64}$/, 'not an attachment url of this server') }),
  'draft.get': z.object({ conversationId: Id }),
  /** Saves what the composer holds for the conversation; `null` (sent or emptied) deletes it. */
  'draft.save': z.object({ conversationId: Id, draft: ComposerDraft.nullable() }),
  'canned.list': z.object({}),
  /** The inboxes this agent may see as the server describes them (approved WhatsApp templates). */
  'inbox.settings': z.object({}),
  /** Sync now instead of waiting for the next reconnect attempt. */
  'sync.retryNow': z.object({}),
  'customer.related': z.object({ customerId: Id }),
  'customer.mergePreview': z
    .object({ sourceId: Id, targetId: Id })
    .refine((a) => a.sourceId !== a.targetId, { message: 'a customer cannot be merged into itself', path: ['targetId'] }),
  'customer.merge': z
    .object({ sourceId: Id, targetId: Id })
    .refine((a) => a.sourceId !== a.targetId, { message: 'a customer cannot be merged into itself', path: ['targetId'] }),
  'customer.unmerge': z.object({ mergeId: Id }),
  'customer.label': CustomerLabelArgs,
  'customer.dismissSuggestion': z.object({ suggestionId: Id }),
  'customer.verifyIdentity': VerifyIdentityArgs,
  'customer.consentHistory': z.object({ customerId: Id }),
  /** Without a conversation, the change is recorded in the customer's most recent one. */
  'customer.setConsent': SetConsentArgs.partial({ conversationId: true }),
  /** Downloads the customer's archive (shared/customer-export.ts) into this device's Downloads folder. */
  'customer.export': z.object({ customerId: Id }),
  /** Erasing (supervisors and admins, online only): gone from every screen at once, restorable for the grace period unless `now`. */
  'customer.erase': z.object({ customerId: Id, now: z.boolean().default(false) }),
  'customer.restore': z.object({ customerId: Id }),
  'privacy.erasurePolicy': z.object({}),
  /** Admins only: the erasures whose purge is still to come. */
  'privacy.erasures': z.object({}),
  /** The queues as they stand, from this device's cache (supervisors and admins). */
  'reports.live': z.object({}),
  /** A page of the conversations behind one number of the live queues, longest waiting first; `assigneeId`: that agent's share. */
  'reports.liveDrill': LiveFigure.extend({ assigneeId: z.string().min(1).max(200).optional(), ...PageArgs.shape }),
  /** A report over a date range, from this device's cache (supervisors and admins). */
  'reports.report': ReportQuery,
  /** A page of the conversations behind one figure of a report (`key`: a key of its drill-downs, see drillKey), in the figure's order unless sorted. */
  'reports.drill': ReportFigureArgs.extend({ sort: DrillSort.optional(), ...PageArgs.shape }),
  /** The same as a CSV file in Downloads: one row per conversation, times in the report's time zone. */
  'reports.exportCsv': ReportFigureArgs,
  'summaries.ofCustomer': z.object({ customerId: Id }),
  'summaries.regenerate': RegenerateSummaryArgs,
  'summaries.rate': RateSummaryArgs,
  'summaries.usage': z.object({}),
  /** The conversation the agent has open (null: none), for other agents' collision view. */
  'presence.viewing': z.object({ conversationId: Id.nullable() }),
  'presence.typing': z.object({ conversationId: Id, typing: z.boolean() }),
  /** Every user's online status as the server last told it (supervisors and admins; an agent gets none). */
  'presence.agents': z.object({}),
  /** Whether anyone uses this device (no keyboard or pointer use for AWAY_AFTER_MS: away). */
  'presence.away': z.object({ away: z.boolean() }),
  /** Administration (admins only) goes straight to the server's REST API: it needs a connection. */
  'admin.users': z.object({}),
  'admin.directory': z.object({}),
  'admin.createUser': NewUser,
  'admin.updateUser': z.object({ userId: Id, change: UserAccess }),
  /** Deactivating revokes every token of the user; reactivating lets them sign in again. */
  'admin.setActive': z.object({ userId: Id, active: z.boolean() }),
  'admin.tokens': z.object({ email: z.string().trim().min(1).max(320).optional() }),
  'admin.revokeToken': z.object({ tokenId: Id }),
  'admin.integrations': z.object({}),
  'admin.createIntegration': NewIntegration,
  'admin.revokeIntegration': z.object({ integrationId: Id }),
  'admin.audit': AuditQuery,
  /** Downloads the matching audit log entries as CSV into this device's Downloads folder. */
  'admin.auditExport': AuditFilter,
  /** Retention (admins only, online only): the rules and the log of runs, new rules, a run or its dry run. */
  'retention.get': z.object({}),
  'retention.save': RetentionSettings,
  'retention.run': z.object({ dryRun: z.boolean() }),
} as const satisfies Record<IpcMethod, z.ZodType>

export { IPC_METHODS, type IpcMethod }
export type IpcArgs<M extends IpcMethod> = z.input<(typeof IPC_ARGS)[M]>
export type IpcParsedArgs<M extends IpcMethod> = z.output<(typeof IPC_ARGS)[M]>

export interface IpcResults {
  'session.get': Session
  'session.state': SessionState
  'session.signIn': SignInResult
  'session.signOut': SessionState
  'users.list': User[]
  'inbox.list': ConversationListItem[]
  'inbox.counts': InboxCounts
  'views.list': SavedViewItem[]
  'views.save': { viewId: string; mutationId: number }
  'views.delete': { mutationId: number }
  'views.counts': Record<string, number>
  'search.query': SearchHit[]
  'conversation.markRead': { ok: true }
  'conversation.markUnread': { ok: true }
  'customer.get': CustomerProfile | null
  'customer.timeline': TimelinePage
  /** Whether this opening was reported (false: this device reported the customer within the window). */
  'customer.opened': { reported: boolean }
  'conversation.reply': { messageId: string; mutationId: number }
  'conversation.note': { noteId: string; mutationId: number }
  'conversation.assign': { mutationId: number }
  'conversation.setStatus': { mutationId: number }
  'conversation.label': { mutationId: number }
  /** `moveId` undoes it. */
  'conversation.moveItems': { moveId: string; mutationId: number }
  /** `conversationId` is the new conversation; `moveId` undoes the split. */
  'conversation.split': { moveId: string; conversationId: string; mutationId: number }
  'conversation.undoMove': { mutationId: number }
  'conversation.setPriority': { mutationId: number }
  'conversations.bulk': BulkResult
  'conversations.bulkUndo': { changed: number }
  'mentions.list': MentionList
  'mentions.markRead': { ok: true }
  'call.addNote': { mutationId: number }
  'call.log': { callId: string; conversationId: string; mutationId: number }
  'conversation.start': { conversationId: string; messageId: string; mutationId: number }
  'outbox.list': OutboxEntry[]
  /** A retried action is queued again under a new mutation id. */
  'outbox.retry': { ok: true; mutationId: number }
  'outbox.discard': { ok: true }
  'sync.state': SyncState
  'attachment.download': DownloadedAttachment
  'draft.get': ComposerDraft | null
  'draft.save': { ok: true }
  'canned.list': CannedResponse[]
  /** null: the server has not been reached since the app started, so they are not known yet. */
  'inbox.settings': InboxInfo[] | null
  'sync.retryNow': { ok: true }
  'customer.related': CustomerRelated
  'customer.mergePreview': MergePreview
  'customer.merge': { mergeId: string; mutationId: number }
  'customer.unmerge': { mutationId: number }
  'customer.label': { mutationId: number }
  'customer.dismissSuggestion': { mutationId: number }
  'customer.verifyIdentity': { mutationId: number }
  /** Newest first. */
  'customer.consentHistory': ConsentRecord[]
  'customer.setConsent': { mutationId: number }
  'customer.export': SavedExport
  'customer.erase': Erasure
  'customer.restore': RestoreResult
  'privacy.erasurePolicy': ErasurePolicy
  'privacy.erasures': Erasure[]
  'reports.live': LiveQueues
  'reports.liveDrill': Page<LiveConversation>
  /** `asOf`: the last time the cache was in step with the server (null: never); the figures are as of then. */
  'reports.report': { report: ReportFigures; asOf: number | null }
  'reports.drill': Page<ReportConversation> & { timeZone: string }
  'reports.exportCsv': SavedExport
  'summaries.ofCustomer': CustomerSummaries
  /** `local`: offline, this device rewrote the story from its cache (no mutation is queued). */
  'summaries.regenerate': { mutationId: number } | { local: true }
  'summaries.rate': { mutationId: number }
  /** Today's use of the summary model (UTC); supervisors and admins only, online only. */
  'summaries.usage': SummaryUsageOfDay
  'presence.viewing': { ok: true }
  'presence.typing': { ok: true }
  'presence.agents': AgentStatus[]
  'presence.away': { ok: true }
  'admin.users': User[]
  'admin.directory': AdminDirectory
  'admin.createUser': User
  'admin.updateUser': User
  'admin.setActive': User
  'admin.tokens': ApiTokenInfo[]
  'admin.revokeToken': { ok: true }
  'admin.integrations': IntegrationInfo[]
  /** The integration's token is in this answer only: the screen shows it once. */
  'admin.createIntegration': { integration: IntegrationInfo; token: string }
  'admin.revokeIntegration': { ok: true }
  'admin.audit': AuditPage
  'admin.auditExport': SavedExport
  'retention.get': { settings: RetentionSettings; runs: RetentionRun[] }
  'retention.save': RetentionSettings
  'retention.run': RetentionRun
}

/** A report's figures, without the conversation ids behind each (`reports.drill` reads those). */
export type ReportFigures = Omit<Report, 'drill'>

/** A conversation behind a number of the live queues, longest waiting first. */
export interface LiveConversation {
  conversationId: string
  customerId: string
  customerName: string | null
  subject: string | null
  channel: Channel
  inbox: string
  status: ConversationStatus
  assigneeId: string | null
  /** Since when the customer has waited for an answer; null when answered. */
  waitingSince: number | null
}

/** A conversation behind a figure: its measures, with what the cache knows of it to show it by. */
export type ReportConversation = ConversationRow & { customerName: string | null; subject: string | null; status: ConversationStatus | null }

export type IpcHandlers = {
  [M in IpcMethod]: (args: IpcParsedArgs<M>) => IpcResults[M] | Promise<IpcResults[M]>
}

/** Events the core pushes to the renderer. */
export interface IpcEvents {
  'sync.state': SyncState
  'session.changed': SessionState
  /** Entities touched by a committed batch or a local action; the UI refetches what shows them. */
  'data.changed': { entities: EntityName[]; customerIds: string[] }
  'inbound.arrived': InboundArrived
  'mentions.arrived': MentionsArrived
  'sla.breached': SlaBreachesArrived
  /** Who else is in a conversation right now; an empty list when nobody is. */
  'presence.changed': { conversationId: string; others: PresenceEntry[] }
  /** A conversation's customer (a chat visitor) started or stopped typing; ephemeral, never stored. */
  'customer.typing': TypingNotice
  /** Every user's online status, whenever one changes (supervisors and admins only). */
  'presence.agents': AgentStatus[]
}
export type IpcEventName = keyof IpcEvents

/** Wire messages, identical over MessagePort and WebSocket. */
export const IpcRequest = z.object({ id: z.number().int(), method: z.string(), args: z.unknown() })
export type IpcRequest = z.infer<typeof IpcRequest>
export type IpcErrorCode = 'bad_request' | 'not_found' | 'internal'
export type IpcResponse = { id: number; result: unknown } | { id: number; error: { code: IpcErrorCode; message: string } }
export interface IpcEventMessage<E extends IpcEventName = IpcEventName> {
  event: E
  payload: IpcEvents[E]
}

/** What the preload (or the browser host's bridge) puts on `window.threadline`. */
export interface ThreadlineApi {
  call<M extends IpcMethod>(method: M, args: IpcArgs<M>): Promise<IpcResults[M]>
  on<E extends IpcEventName>(event: E, listener: (payload: IpcEvents[E]) => void): () => void
}
