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
  TimelineEvent,
  User,
} from '../../shared/domain'
import type { Change, PullResponse } from '../../shared/sync'
import type { Actor } from '../../shared/actors'
import type { IntegrationInfo } from '../../shared/tokens'

/**
 * The server's storage, independent of the database engine: SQLite now (store/sqlite), PostgreSQL
 * later. All SQL lives behind this interface. Calls are synchronous because the embedded engine
 * is; a networked engine will need an async twin of this interface.
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
 * A change as committed, with who may see it: the inbox it belongs to, or for a customer's own
 * rows (customer, identity) the customer, seen by whoever may see one of their conversations.
 * Both null: visible to everyone (users).
 */
export type StoredChange = Change & { inbox: string | null; customerId: string | null }

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

/** Every item of one conversation: what moves with it when its customer changes. */
export interface ConversationItems {
  messages: Message[]
  notes: Note[]
  calls: Call[]
  events: TimelineEvent[]
}

export interface StoreReader {
  getUser(id: string): User | null
  getUserByEmail(email: string): User | null
  listUsers(): User[]
  /** Every team named on a user or a conversation, sorted. */
  teamsInUse(): string[]
  apiTokenByHash(tokenHash: string): StoredApiToken | null
  /** The tokens among `tokenHashes` that still exist, in one read. */
  apiTokensByHash(tokenHashes: readonly string[]): StoredApiToken[]
  getApiToken(id: string): StoredApiToken | null
  /** Every user's tokens (userId null) or one user's, newest first. */
  listApiTokens(userId: string | null): StoredApiToken[]
  /** Revoked integrations too: the caller decides what a revoked one may do. */
  integrationByTokenHash(tokenHash: string): IntegrationInfo | null
  getIntegration(id: string): IntegrationInfo | null
  listIntegrations(): IntegrationInfo[]
  /** The user's scrypt password hash, or null when they have none (token-only users). */
  passwordHashOf(userId: string): string | null

  getCustomer(id: string): Customer | null
  searchCustomers(search: CustomerSearch): Customer[]
  /** Whether a reader limited to `scope` may see the customer: they have a conversation in one of its inboxes. */
  customerVisible(customerId: string, scope: InboxScope): boolean
  identitiesOf(customerId: string): Identity[]
  getIdentity(id: string): Identity | null
  findIdentity(kind: IdentityKind, address: string): Identity | null

  getConversation(id: string): Conversation | null
  listConversations(filter: ConversationFilter): Page<Conversation>
  conversationByThreadKey(channel: Channel, threadKey: string): Conversation | null
  /** The conversation holding a message of this channel whose external id is one of `externalIds`. */
  conversationByMessageExternalId(channel: Channel, externalIds: readonly string[]): Conversation | null
  /** The customer's most recent conversation on this channel (and inbox) that is not resolved. */
  latestUnresolvedConversation(customerId: string, channel: Channel, inbox: string | null): Conversation | null

  getMessage(id: string): Message | null
  messageByExternalId(channel: Channel, externalId: string): Message | null
  listMessages(conversationId: string, limit: number, after?: string): Page<Message>
  getNote(id: string): Note | null
  getCall(id: string): Call | null
  callByExternalId(externalId: string): Call | null
  /** Newest first, across the conversations the scope allows. */
  timeline(customerId: string, scope: InboxScope, limit: number, before?: string): Page<TimelineEntry>
  queuedOutbound(limit: number): OutboundItem[]
  /** The identity an outbound message goes to: the customer's address on the message's channel. */
  recipientFor(message: Message): Identity | null

  /** Changes after `after` the scope may see, in seq order. */
  changesAfter(after: number, limit: number, scope: InboxScope): PullResponse
  lastSeq(): number
  counts(): Counts
  lastMutationId(clientId: string): number
  dueDeadLetters(now: number, limit: number): DeadLetter[]
  /** Every letter, due or not, of the inboxes the scope allows, soonest retry first. */
  deadLetters(scope: InboxScope, limit: number): DeadLetter[]
  /** Customers with this name (case-insensitive) and an email address at `domain`, except `exceptCustomerId`. */
  customersNamedWithEmailDomain(name: string, domain: string, exceptCustomerId: string, limit: number): Customer[]
  /** Suggestions involving the customer, on either side, newest first. */
  customerSuggestions(customerId: string): CustomerSuggestion[]
  getCustomerSuggestion(id: string): CustomerSuggestion | null
  /** The identity_suggested events that announced this suggestion. */
  suggestionEvents(suggestionId: string): TimelineEvent[]
  /** Every conversation of the customer, whatever the inbox. */
  conversationsOf(customerId: string): Conversation[]
  conversationItems(conversationId: string): ConversationItems
  getCustomerMerge(id: string): CustomerMerge | null
  /** A connector's saved resume point (JSON), or null; server-internal, never synced. */
  getConnectorState(connector: string, key: string): unknown
}

export interface StoreWriter extends StoreReader {
  /** Inserts or replaces the entity and appends its change row; returns the change. */
  put<E extends EntityName>(entity: E, data: EntityTypes[E]): StoredChange
  insertToken(token: Omit<StoredApiToken, 'lastUsedAt'>): void
  touchToken(tokenHash: string, at: number): void
  insertIntegration(integration: IntegrationInfo, tokenHash: string): void
  /** False when there is no such integration or it was already revoked. */
  revokeIntegration(id: string, at: number): boolean
  touchIntegration(id: string, at: number): void
  /** False when no such token exists (already revoked). */
  deleteToken(tokenHash: string): boolean
  setPasswordHash(userId: string, hash: string): void
  setLastMutationId(clientId: string, userId: string, mutationId: number): void
  addDeadLetter(kind: string, inbox: string | null, payload: unknown, error: string, nextAttemptAt: number, actor?: Actor | null): number
  retryDeadLetterLater(id: number, error: string, nextAttemptAt: number): void
  deleteDeadLetter(id: number): void
  /** False when the pair of customers already has a suggestion (either way round). */
  addCustomerSuggestion(suggestion: CustomerSuggestion): boolean
  setConnectorState(connector: string, key: string, value: unknown): void
  setSuggestionStatus(id: string, status: CustomerSuggestion['status']): void
  /** Marks every open suggestion between the two customers (either way round) with `status`. */
  settleSuggestionsBetween(a: string, b: string, status: CustomerSuggestion['status']): CustomerSuggestion[]
  addCustomerMerge(merge: CustomerMerge): void
  markMergeUndone(id: string, at: number): void
}

export interface Store extends StoreReader {
  /**
   * Runs `fn` in one transaction. Every entity write and its change row commit together or not
   * at all; the changes written are returned after commit so the caller can fan them out. Each
   * change row records `actor`; a write without one may only touch rows outside the change log.
   */
  write<T>(fn: (w: StoreWriter) => T, actor?: Actor): { result: T; changes: StoredChange[] }
  /**
   * Group commit: runs each write in its own savepoint inside ONE transaction, its changes
   * recorded as its actor's. A write that throws is rolled back alone and reported in its
   * outcome; the others commit together, and the changes returned are theirs, in order.
   */
  writeEach<T>(writes: readonly ActorWrite<T>[]): { outcomes: WriteOutcome<T>[]; changes: StoredChange[] }
  close(): void
}

export type WriteOutcome<T> = { ok: true; result: T } | { ok: false; error: unknown }

export interface ActorWrite<T> {
  actor: Actor
  run: (w: StoreWriter) => T
}
