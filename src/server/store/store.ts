import type { ReportingEvent, ReportingEventKind } from '../../shared/reporting/events'
import type {
  Call,
  Channel,
  Conversation,
  ConversationStatus,
  Customer,
  EntityName,
  EntityTypes,
  Identity,
  IdentityKind,
  Message,
  Note,
  SavedView,
  Summary,
  TimelineEvent,
  User,
} from '../../shared/domain'
import type { Change, PullResponse } from '../../shared/sync'
import type { Actor } from '../../shared/actors'
import type { IntegrationInfo } from '../../shared/tokens'
import type { SummaryFeedback, SummaryUsage } from '../../shared/summaries'
import type { Erasure } from '../../shared/privacy'
import type { AuditEntry, AuditQuery } from '../../shared/audit'

/**
 * The server's storage, independent of the database engine: SQLite (store/sqlite) by default.
 * All SQL lives behind this interface. Every call is asynchronous, because a networked engine
 * answers over a socket; the embedded one answers at once.
 */

/** Which inboxes a reader may see; null means all of them. */
export type InboxScope = readonly string[] | null

export interface Page<T> {
  items: T[]
  /** Pass back to get the next (older) page; null when there is none. */
  next: string | null
}

export interface ConversationFilter {
  status?: ConversationStatus
  inbox?: string
  channel?: Channel
  customerId?: string
  /** A user id, or null for unassigned conversations. */
  assigneeId?: string | null
  scope: InboxScope
  limit: number
  /** Opaque cursor from a previous page. */
  after?: string
}

export interface CustomerSearch {
  /** Matches the name, or part of an identity address. */
  query?: string
  /** Only customers with a conversation in these inboxes (null: every customer). */
  scope: InboxScope
  limit: number
  offset: number
}

export type TimelineEntry =
  | { kind: 'message'; at: number; item: Message }
  | { kind: 'note'; at: number; item: Note }
  | { kind: 'call'; at: number; item: Call }
  | { kind: 'event'; at: number; item: TimelineEvent }

export interface OutboundItem {
  message: Message
  recipient: Identity | null
}

export interface DeadLetter {
  id: number
  kind: string
  /** The inbox the payload arrived for; null when it cannot be told (only users who see every inbox see it). */
  inbox: string | null
  payload: unknown
  error: string
  attempts: number
  nextAttemptAt: number
  /** Who handed the item over; its retry is recorded as theirs. Null in letters older than actors. */
  actor: Actor | null
}

/** A user's API token as stored: its SHA-256, never the token. */
export interface StoredApiToken {
  id: string
  tokenHash: string
  userId: string
  label: string | null
  createdAt: number
  lastUsedAt: number | null
}

/**
 * A committed change with what decides who receives it: the conversation's inbox; or the customer
 * whose row it is (customer, identity, customer story), seen by whoever may see one of their
 * conversations — and, when `covers` lists inboxes (a story read items of each), only by readers
 * who may see every one of them; or, for rows that belong to people rather than inboxes (a saved
 * view), the audience tokens of rows.ts, of which a reader must hold one. All null: everyone (users).
 */
export type StoredChange = Change & {
  inbox: string | null
  customerId: string | null
  audience?: readonly string[] | null
  covers?: readonly string[] | null
}

export interface Counts {
  customers: number
  conversations: number
  messages: number
  lastSeq: number
}

export type SuggestionReason = 'same_name_and_email_domain' | 'disclosed_identity_of_other_customer'

/** Two customer records that are probably one person, for an agent to accept (merge) or dismiss. */
export interface CustomerSuggestion {
  id: string
  /** The customer the evidence arrived for. */
  customerId: string
  /** The other customer who is probably the same person. */
  candidateId: string
  reason: SuggestionReason
  detail: string
  /** Where the evidence arrived; its timeline shows the suggestion. */
  conversationId: string
  status: 'open' | 'accepted' | 'dismissed'
  createdAt: number
}

/** What one merge moved from its source to its target, so an undo can move back exactly that. */
export interface MergeMoved {
  identityIds: string[]
  conversationIds: string[]
  /** Labels the target gained from the source. */
  labels: string[]
  /** Attribute keys the target gained from the source. */
  attributeKeys: string[]
  /** Consent keys the merge changed on the target, with the target's value before (null: never asked). */
  consent: Record<string, boolean | null>
  /**
   * The target's consent and its times before the merge and as the merge left them, so an undo
   * restores them exactly unless the customer has spoken since. Absent in merges recorded before it was kept.
   */
  targetConsent?: { before: ConsentState; after: ConsentState }
}

/** A customer's consent with when each key was last decided. */
export type ConsentState = Pick<Customer, 'consent' | 'consentChangedAt'>

export interface CustomerMerge {
  id: string
  sourceId: string
  targetId: string
  moved: MergeMoved
  mergedBy: string
  mergedAt: number
  undoneAt: number | null
}

/**
 * What routes one channel's items into a conversation — the email thread's root, the chat
 * session, the SMS or WhatsApp conversation with a number — and the inbox it uses there.
 * Server-internal: a key routes to one conversation at a time, the one that last took it.
 */
export interface ConversationThread {
  channel: Channel
  threadKey: string
  conversationId: string
  inbox: string
  /** When the conversation last used this thread: a reply goes out on the latest of a channel. */
  lastAt: number
}

/** A row an erasure took out of reach, kept until the purge so a restore can put it back. */
export interface HeldEntity<E extends EntityName = EntityName> {
  entity: E
  data: EntityTypes[E]
}

/** Every item of one conversation: what moves with it when its customer changes. */
export interface ConversationItems {
  messages: Message[]
  notes: Note[]
  calls: Call[]
  events: TimelineEvent[]
}

/** The kinds of item in a customer's history, as `customerItems` pages them. */
export interface CustomerItemTypes {
  message: Message
  note: Note
  call: Call
  event: TimelineEvent
}
export type CustomerItemKind = keyof CustomerItemTypes

export interface StoreReader {
  getUser(id: string): Promise<User | null>
  getUserByEmail(email: string): Promise<User | null>
  listUsers(): Promise<User[]>
  /** Every team named on a user or a conversation, sorted. */
  teamsInUse(): Promise<string[]>
  apiTokenByHash(tokenHash: string): Promise<StoredApiToken | null>
  /** The tokens among `tokenHashes` that still exist, in one read. */
  apiTokensByHash(tokenHashes: readonly string[]): Promise<StoredApiToken[]>
  getApiToken(id: string): Promise<StoredApiToken | null>
  /** Every user's tokens (userId null) or one user's, newest first. */
  listApiTokens(userId: string | null): Promise<StoredApiToken[]>
  /** Revoked integrations too: the caller decides what a revoked one may do. */
  integrationByTokenHash(tokenHash: string): Promise<IntegrationInfo | null>
  getIntegration(id: string): Promise<IntegrationInfo | null>
  listIntegrations(): Promise<IntegrationInfo[]>
  /** The user's scrypt password hash, or null when they have none (token-only users). */
  passwordHashOf(userId: string): Promise<string | null>

  getCustomer(id: string): Promise<Customer | null>
  searchCustomers(search: CustomerSearch): Promise<Customer[]>
  /** Whether a reader limited to `scope` may see the customer: they have a conversation in one of its inboxes. */
  customerVisible(customerId: string, scope: InboxScope): Promise<boolean>
  identitiesOf(customerId: string): Promise<Identity[]>
  getIdentity(id: string): Promise<Identity | null>
  findIdentity(kind: IdentityKind, address: string): Promise<Identity | null>

  getConversation(id: string): Promise<Conversation | null>
  listConversations(filter: ConversationFilter): Promise<Page<Conversation>>
  /** The conversation the thread key routes to now. */
  conversationByThreadKey(channel: Channel, threadKey: string): Promise<Conversation | null>
  /** The conversation holding a message of this channel whose external id is one of `externalIds`. */
  conversationByMessageExternalId(channel: Channel, externalIds: readonly string[]): Promise<Conversation | null>
  /** The customer's most recently active conversation, of any channel, that is not resolved. */
  latestUnresolvedConversation(customerId: string): Promise<Conversation | null>
  /** The customer's most recently active conversation, resolved or not, holding a thread on this channel (and inbox). */
  latestConversationOnChannel(customerId: string, channel: Channel, inbox: string | null): Promise<Conversation | null>
  /** The conversation's threads, the most recently used first. */
  conversationThreads(conversationId: string): Promise<ConversationThread[]>
  getEvent(id: string): Promise<TimelineEvent | null>
  /** The customer's newest timeline event of this type (a satisfaction survey), or null. */
  latestEventOfType(customerId: string, type: TimelineEvent['type']): Promise<TimelineEvent | null>

  getMessage(id: string): Promise<Message | null>
  messageByExternalId(channel: Channel, externalId: string): Promise<Message | null>
  listMessages(conversationId: string, limit: number, after?: string): Promise<Page<Message>>
  getNote(id: string): Promise<Note | null>
  getCall(id: string): Promise<Call | null>
  getSavedView(id: string): Promise<SavedView | null>
  getSummary(id: string): Promise<Summary | null>
  /** Those of these summaries that exist, in no particular order. */
  getSummaries(ids: readonly string[]): Promise<Summary[]>
  /** The customer's story, their conversations' wrap-ups and their calls' summaries. */
  summariesOf(customerId: string): Promise<Summary[]>
  /** The model's use on a UTC day (YYYY-MM-DD); zeros when it was not used. */
  summaryUsage(day: string): Promise<SummaryUsage>
  /** Ratings of summaries, newest first. */
  summaryFeedback(limit: number): Promise<SummaryFeedback[]>
  callByExternalId(externalId: string): Promise<Call | null>
  /** Newest first, across the conversations the scope allows. */
  timeline(customerId: string, scope: InboxScope, limit: number, before?: string): Promise<Page<TimelineEntry>>
  /** Outbound messages waiting to be sent, oldest first, each with its recipient. */
  queuedOutbound(limit: number): Promise<OutboundItem[]>
  /** The same messages' ids and channels alone, oldest first: what the dispatcher queues them by, at every start. */
  queuedOutboundIds(limit: number): Promise<{ id: string; channel: Channel }[]>
  /** The identity an outbound message goes to: the customer's address on the message's channel. */
  recipientFor(message: Message): Promise<Identity | null>

  /**
   * Changes after `after` that `scope` may see, in seq order; a change with an audience only when
   * `viewer` (audience tokens of the reader) holds one of it. With `latest`, only the latest
   * change of each row among those readers (PullRequest.latest).
   */
  changesAfter(after: number, limit: number, scope: InboxScope, viewer?: readonly string[], options?: { latest?: boolean }): Promise<PullResponse>
  /** Every change after `after`, in seq order, with who may see it (for a node fanning out what another node committed). */
  changesSince(after: number, limit: number): Promise<StoredChange[]>
  lastSeq(): Promise<number>
  counts(): Promise<Counts>
  lastMutationId(clientId: string): Promise<number>
  dueDeadLetters(now: number, limit: number): Promise<DeadLetter[]>
  /** Every letter, due or not, of the inboxes the scope allows, soonest retry first. */
  deadLetters(scope: InboxScope, limit: number): Promise<DeadLetter[]>
  /** Customers with this name (case-insensitive) and an email address at `domain`, except `exceptCustomerId`. */
  customersNamedWithEmailDomain(name: string, domain: string, exceptCustomerId: string, limit: number): Promise<Customer[]>
  /** Suggestions involving the customer, on either side, newest first. */
  customerSuggestions(customerId: string): Promise<CustomerSuggestion[]>
  /** The customer records merged into this one and not unmerged (their identities and conversations are its now). */
  customersMergedInto(customerId: string): Promise<Customer[]>
  /** The pending erasure of this customer (asked for by this id), or null. */
  getErasure(customerId: string): Promise<Erasure | null>
  /** Erasures not yet purged, the soonest purge first. */
  listErasures(): Promise<Erasure[]>
  /** The rows an erasure holds, in the order a restore puts them back (customers, identities, conversations, items, summaries). */
  heldEntities(customerId: string): Promise<HeldEntity[]>
  /** Whether a message, or a row an erasure holds for a restore, still carries the attachment at `url`. */
  attachmentInUse(url: string): Promise<boolean>
  getCustomerSuggestion(id: string): Promise<CustomerSuggestion | null>
  /** The identity_suggested events that announced this suggestion. */
  suggestionEvents(suggestionId: string): Promise<TimelineEvent[]>
  /** Every conversation of the customer, whatever the inbox. */
  conversationsOf(customerId: string): Promise<Conversation[]>
  conversationItems(conversationId: string): Promise<ConversationItems>
  /**
   * The customer's items of one kind, whatever their inbox, oldest first (by their time, then
   * id), a page at a time: an export reads a history of any length in bounded memory.
   */
  customerItems<K extends CustomerItemKind>(customerId: string, kind: K, limit: number, after?: string): Promise<Page<CustomerItemTypes[K]>>
  getCustomerMerge(id: string): Promise<CustomerMerge | null>
  /** A connector's saved resume point (JSON), or null; server-internal, never synced. */
  getConnectorState(connector: string, key: string): Promise<unknown>
  /** Resolved conversations last updated before `before`, oldest first (by updatedAt, then id), after the cursor: what retention may delete. */
  resolvedConversationsBefore(before: number, after: { at: number; id: string } | null, limit: number): Promise<Conversation[]>
  /** Customers (not merged into another) with no conversation and no activity since `before`, by id after `after`. */
  customersWithoutConversations(before: number, after: string | null, limit: number): Promise<Customer[]>
  /** Conversations with a running SLA clock due at or before `at`, soonest first: the breach scan. */
  slaDueConversations(at: number, limit: number): Promise<Conversation[]>
  /** Reporting events at or after `from` and before `to` in the inboxes of `scope`, by time (then id). */
  reportingEventsBetween(from: number, to: number, scope: InboxScope): Promise<ReportingEvent[]>
  /** Every conversation not resolved in the inboxes of `scope`: the live queues. */
  unresolvedConversations(scope: InboxScope): Promise<Conversation[]>
  /** The conversation's earliest reporting event of this kind (its creation, its first reply), or null. */
  firstReportingEvent(conversationId: string, kind: ReportingEventKind): Promise<ReportingEvent | null>
  /** Audit entries matching the filters, newest first (by `at`, then id); never synced. */
  auditEntries(query: AuditQuery): Promise<Page<AuditEntry>>
}

export interface StoreWriter extends StoreReader {
  /**
   * Inserts or replaces the entity and appends its change row; returns the change. Its seq is
   * final once the write commits: PostgreSQL numbers a group commit's changes just before COMMIT.
   */
  put<E extends EntityName>(entity: E, data: EntityTypes[E]): Promise<StoredChange>
  insertToken(token: Omit<StoredApiToken, 'lastUsedAt'>): Promise<void>
  touchToken(tokenHash: string, at: number): Promise<void>
  insertIntegration(integration: IntegrationInfo, tokenHash: string): Promise<void>
  /** False when there is no such integration or it was already revoked. */
  revokeIntegration(id: string, at: number): Promise<boolean>
  touchIntegration(id: string, at: number): Promise<void>
  /** False when no such token exists (already revoked). */
  deleteToken(tokenHash: string): Promise<boolean>
  setPasswordHash(userId: string, hash: string): Promise<void>
  setLastMutationId(clientId: string, userId: string, mutationId: number): Promise<void>
  addDeadLetter(kind: string, inbox: string | null, payload: unknown, error: string, nextAttemptAt: number, actor?: Actor | null): Promise<number>
  retryDeadLetterLater(id: number, error: string, nextAttemptAt: number): Promise<void>
  deleteDeadLetter(id: number): Promise<void>
  /** False when the pair of customers already has a suggestion (either way round). */
  addCustomerSuggestion(suggestion: CustomerSuggestion): Promise<boolean>
  setConnectorState(connector: string, key: string, value: unknown): Promise<void>
  setSuggestionStatus(id: string, status: CustomerSuggestion['status']): Promise<void>
  /** Marks every open suggestion between the two customers (either way round) with `status`. */
  settleSuggestionsBetween(a: string, b: string, status: CustomerSuggestion['status']): Promise<CustomerSuggestion[]>
  addCustomerMerge(merge: CustomerMerge): Promise<void>
  markMergeUndone(id: string, at: number): Promise<void>
  /**
   * Erases: takes `entities` (every row of `erasure.customerIds`) out of every table, keeping a
   * copy with the server's own rows about them (threads, suggestions, merges, summary ratings and
   * requests) until the purge; rewrites every change of those rows to a tombstone; and appends a
   * delete of each customer record, which every client applies by dropping them (shared/sync.ts).
   */
  holdErasure(erasure: Erasure, entities: readonly HeldEntity[]): Promise<StoredChange[]>
  /** After a restore put the entities back (put() logs them anew): the server's own rows go back too, and the copy is dropped. */
  releaseErasure(customerId: string): Promise<void>
  /** The purge: drops the copy for good, and dead letters whose payload names any of `traces` (addresses, ids). */
  purgeErasure(customerId: string, traces: readonly string[]): Promise<void>
  /** Routes the thread key to the conversation (taking it from any other), and records its inbox and use. */
  putThread(thread: ConversationThread): Promise<void>
  addSummaryUsage(day: string, delta: SummaryUsage): Promise<void>
  /** Asks for the customer's story afresh (one waiting request per customer). */
  requestSummary(customerId: string, userId: string, at: number): Promise<void>
  /** The customers whose stories were asked for, oldest request first; their requests are removed. */
  takeSummaryRequests(limit: number): Promise<string[]>
  /** One rating per user and version of a summary: a second one replaces the first. */
  putSummaryFeedback(feedback: SummaryFeedback): Promise<void>
  /**
   * Deletes a conversation for good (retention): it and its messages, notes, calls, events and
   * summaries leave their tables, every earlier change of them becomes a tombstone, and a delete
   * of each is appended so caches that hold them drop them. Returns the attachment URLs its
   * messages carried, for the caller to remove the files no other message carries.
   */
  deleteConversation(conversationId: string): Promise<string[]>
  /** Appends to the audit log (server/audit/record.ts builds the entry); nothing else writes it. */
  appendAudit(entry: AuditEntry): Promise<void>
  /** The audit log's retention: removes entries older than `before`, returning how many. */
  pruneAudit(before: number): Promise<number>
}

export interface Store extends StoreReader {
  /**
   * Runs `fn` in one transaction. Every entity write and its change row commit together or not
   * at all; the changes written are returned after commit so the caller can fan them out. Each
   * change row records `actor`; a write without one may only touch rows outside the change log.
   * Writes run one at a time: `fn` must do only store work through `w` (never await the network,
   * never call `write` again: it would wait for itself), and reads through the store itself see
   * only what is committed.
   */
  write<T>(fn: (w: StoreWriter) => Promise<T>, actor?: Actor): Promise<{ result: T; changes: StoredChange[] }>
  /**
   * Group commit: runs each write in its own savepoint inside ONE transaction, its changes
   * recorded as its actor's. A write that throws is rolled back alone and reported in its
   * outcome; the others commit together, and the changes returned are theirs, in order. Groups
   * on several PostgreSQL nodes run side by side (postgres/write-locks.ts): a write that
   * conflicts with another node's group runs again, so `run`, like `write`'s `fn`, does only
   * store work through `w`.
   */
  writeEach<T>(writes: readonly ActorWrite<T>[]): Promise<{ outcomes: WriteOutcome<T>[]; changes: StoredChange[] }>
  /**
   * `listener` hears each transaction's changes right after it commits, in commit order, before
   * the next write begins. There is one listener, the change feed: a second call replaces it.
   */
  onCommit(listener: (changes: StoredChange[]) => void): void
  /**
   * After a purge: makes the engine give back the space of deleted rows so their bytes leave the
   * database's files (SQLite: VACUUM and a truncating WAL checkpoint; PostgreSQL: VACUUM).
   */
  compact(): Promise<void>
  close(): Promise<void>
}

export type WriteOutcome<T> = { ok: true; result: T } | { ok: false; error: unknown }

export interface ActorWrite<T> {
  actor: Actor
  run: (w: StoreWriter) => Promise<T>
}
