import type { ReportingEvent, ReportingEventKind } from '../../../shared/reporting/events'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import {
  ENTITY_SCHEMAS,
  type SavedView,
  type Summary,
  type TimelineEvent,
  type Call,
  type Channel,
  type Conversation,
  type Customer,
  type EntityName,
  type EntityTypes,
  type Identity,
  type IdentityKind,
  type Message,
  type Note,
  type User,
} from '../../../shared/domain'
import type { Change, PullResponse } from '../../../shared/sync'
import type { Actor } from '../../../shared/actors'
import type { IntegrationInfo } from '../../../shared/tokens'
import type { SummaryFeedback, SummaryUsage } from '../../../shared/summaries'
import type {
  ActorWrite,
  ConversationFilter,
  ConversationItems,
  ConversationThread,
  Counts,
  CustomerMerge,
  CustomerSuggestion,
  CustomerSearch,
  DeadLetter,
  InboxScope,
  OutboundItem,
  Page,
  Store,
  StoreReader,
  StoreWriter,
  StoredApiToken,
  StoredChange,
  TimelineEntry,
  WriteOutcome,
} from '../store'
import { decodeCursor, encodeCursor } from '../cursor'
import type { CustomerItemKind, CustomerItemTypes } from '../store'
import { CUSTOMER_ITEM_TABLES, customerItemTime } from '../customer-items'
import {
  apiTokenOf,
  coversOf,
  customerOf,
  feedbackOf,
  fromRow,
  REPORTING_AUDIENCE,
  savedViewAudience,
  TABLES,
  threadOf,
  QUEUED_OUTBOUND,
  supersededChange,
  toRow,
  usageOf,
  type ApiTokenRow,
  type FeedbackRow,
  type Row,
  type ThreadRow,
  type UsageRow,
} from '../rows'
import type { AuditEntry, AuditQuery } from '../../../shared/audit'
import { AUDIT_COLUMNS, auditPage, auditValues, auditWhere, type AuditRow } from '../audit-rows'
import { migrate } from './migrations'
import { upsertSql } from './rows'
import * as erasures from './erasure'
import type { Erasure } from '../../../shared/privacy'
import type { HeldEntity } from '../store'

// Where callers found it before the PostgreSQL store; both engines throw this one class.

/**
 * The store holds every customer's conversations: a folder it creates is 0700 and the file
 * 0600, made so before SQLite opens it (SQLite would make it 0644). A store an older version
 * left wider is narrowed, with its -wal and -shm files; new ones take the main file's mode.
 * An existing folder keeps its mode: it may be one the store merely sits in.
 */
function restrictToOwner(dbPath: string): void {
  fs.mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true, mode: 0o700 })
  fs.closeSync(fs.openSync(dbPath, 'a', 0o600))
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (fs.existsSync(file)) fs.chmodSync(file, 0o600)
}

/** Opens (creating if needed) the SQLite store at `dbPath` and brings its schema up to date. */
export function openSqliteStore(dbPath: string): Store {
  if (dbPath === ':memory:') {
    throw new Error('the SQLite store needs a database file: its reads and writes use two connections to it')
  }
  const writeDb = openSqliteDatabase(dbPath)
  try {
    return new SqliteStore(writeDb, openSqliteDatabase(dbPath))
  } catch (err) {
    writeDb.close()
    throw err
  }
}

/** Each connection's page cache ceiling (KiB); pages are allocated as used. */
const PAGE_CACHE_KIB = 32 * 1024

/** The connection a store runs on, set up as the store needs it. */
export function openSqliteDatabase(dbPath: string): Database.Database {
  if (dbPath !== ':memory:') restrictToOwner(dbPath)
  const db = new Database(dbPath)
  try {
    db.pragma('journal_mode = WAL')
    // Another process (the CLI) may write while the server runs; wait for it instead of failing.
    db.pragma('busy_timeout = 5000')
    db.pragma('foreign_keys = ON')
    // Deleted rows (an erased customer's) are overwritten in the file, not only unlinked.
    db.pragma('secure_delete = ON')
    // A webhook, mutation or message is acknowledged once its transaction commits, so the commit
    // must survive a power cut: with WAL, FULL syncs the log at every commit (NORMAL only at
    // checkpoints, so the last commits acknowledged could be lost). The ingest's group commit
    // shares one sync among the items arriving together.
    db.pragma('synchronous = FULL')
    // Each write descends a dozen indexes of a store of gigabytes: with SQLite's default 2 MB of
    // pages most descents read their pages again from the operating system.
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`)
    migrate(db, dbPath)
  } catch (err) {
    db.close()
    throw err
  }
  return db
}

/** Access filter on a table with a conversation inbox column reachable as `inboxExpr`. */
const scopeClause = (inboxExpr: string): string => `(@scope IS NULL OR ${inboxExpr} IN (SELECT value FROM json_each(@scope)))`

/** A customer, reachable as `customerExpr`, has a conversation the reader may see. */
const customerScopeClause = (customerExpr: string): string =>
  `(@scope IS NULL OR EXISTS (SELECT 1 FROM conversations sc WHERE sc.customer_id = ${customerExpr} AND sc.inbox IN (SELECT value FROM json_each(@scope))))`

const CUSTOMER_IN_SCOPE = customerScopeClause('customers.id')

/**
 * The customer search's trigram index query for `query`: its text lowered as the index's is
 * (ASCII letters only, as LIKE folds them) in one quoted FTS5 string, so that nothing in it is
 * syntax (quotes doubled; *, -, :, NEAR, AND are text). Null below 3 characters, which no
 * trigram holds, and for a query with a NUL character, where FTS5 would end the query's text.
 */
export function trigramMatch(query: string): string | null {
  if ([...query].length < 3 || query.includes('\u0000')) return null
  return `"${query.replace(/[A-Z]/g, (c) => c.toLowerCase()).replace(/"/g, '""')}"`
}

/**
 * When the index holds this many rows for a query, or this many per customer of the page and
 * those before it, the walk newest first finds the page sooner than the index's rows would be
 * read, deduplicated and sorted. Measured on ~115,000 customers with ~200,000 identities: the
 * index reads ~0.4 µs a row it finds and ~2.5 µs a customer, the walk ~5 µs a customer it
 * tests; where they cross (~5,000 rows found for a page of 50) each takes ~12 ms, within a few
 * milliseconds either side.
 */
const SEARCH_INDEX_MIN_HITS = 4000
const SEARCH_INDEX_HITS_PER_RESULT = 80

/**
 * The customers that customers whose name matches @like were merged into: the customer each
 * merge made of one, then on along merged_into (merges chain: A into B, then B into C).
 */
const MERGED_NAME_SURVIVORS = `
  WITH RECURSIVE survivor(id) AS (
    SELECT m.target_id FROM customer_merges m
      JOIN customers s ON s.id = m.source_id AND s.merged_into = m.target_id
     WHERE s.name LIKE @like ESCAPE '\\'
    UNION
    SELECT c.merged_into FROM survivor JOIN customers c ON c.id = survivor.id WHERE c.merged_into IS NOT NULL
  )
  SELECT id FROM survivor`

/** How many of the index's rows match, counting no further than @cap. */
const SEARCH_INDEX_HITS = 'SELECT count(*) AS n FROM (SELECT rowid FROM customer_search WHERE customer_search MATCH @match LIMIT @cap) hit'

/**
 * From the index: the customers whose name or address matches, and those a customer whose
 * name matches was merged into (found through the merges, few rows, as the walk finds them).
 * The customers are read by primary key, only those found.
 */
const SEARCH_BY_INDEX = `
  SELECT * FROM customers
   WHERE id IN (
       SELECT k.customer_id FROM customer_search f JOIN customer_search_rows k ON k.id = f.rowid
        WHERE customer_search MATCH @match
       UNION
       SELECT id FROM (${MERGED_NAME_SURVIVORS}))
     AND merged_into IS NULL AND ${CUSTOMER_IN_SCOPE}
   ORDER BY last_activity_at DESC, id LIMIT @limit OFFSET @offset`

/** Newest first, each customer tested (its name, its identities' addresses by index), until the page is full. */
const SEARCH_BY_WALK = `
  SELECT * FROM customers
   WHERE merged_into IS NULL
     AND (name LIKE @like ESCAPE '\\'
       OR EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = customers.id AND i.address LIKE @like ESCAPE '\\')
       OR id IN (${MERGED_NAME_SURVIVORS}))
     AND ${CUSTOMER_IN_SCOPE}
   ORDER BY last_activity_at DESC, id LIMIT @limit OFFSET @offset`

const scopeParam = (scope: InboxScope): string | null => (scope === null ? null : JSON.stringify(scope))

interface DeadLetterRow {
  id: number
  kind: string
  inbox: string | null
  payload: string
  error: string
  attempts: number
  next_attempt_at: number
  actor: string | null
}

const deadLetterOf = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  kind: r.kind,
  inbox: r.inbox,
  payload: JSON.parse(r.payload) as unknown,
  error: r.error,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  actor: r.actor as Actor | null,
})

interface IntegrationRow {
  id: string
  name: string
  inboxes: string
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
}

const integrationOf = (r: IntegrationRow): IntegrationInfo => ({
  id: r.id,
  name: r.name,
  inboxes: JSON.parse(r.inboxes) as string[],
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
})

/** The reads, on whichever connection the class is given. */
class SqliteReads implements StoreReader {
  private readonly statements = new Map<string, Database.Statement>()

  constructor(protected readonly db: Database.Database) {}

  /** Prepared statements are cached by their SQL text. */
  protected stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.statements.set(sql, s)
    }
    return s
  }

  protected one<E extends EntityName>(entity: E, sql: string, params: unknown): EntityTypes[E] | null {
    const row = this.stmt(sql).get(params as never) as Row | undefined
    return row ? fromRow(entity, row) : null
  }

  protected many<E extends EntityName>(entity: E, sql: string, params: unknown): EntityTypes[E][] {
    return (this.stmt(sql).all(params as never) as Row[]).map((r) => fromRow(entity, r))
  }

  protected byId<E extends EntityName>(entity: E, id: string): EntityTypes[E] | null {
    return this.one(entity, `SELECT * FROM ${TABLES[entity]} WHERE id = ?`, [id])
  }


  async getCustomerSuggestion(id: string): Promise<CustomerSuggestion | null> {
    const row = this.stmt('SELECT customer_id, candidate_id FROM customer_suggestions WHERE id = ?').get(id) as
      | { customer_id: string }
      | undefined
    if (!row) return null
    return this.suggestionRows(row.customer_id).find((s) => s.id === id) ?? null
  }

  async suggestionEvents(suggestionId: string): Promise<TimelineEvent[]> {
    return this.many(
      'event',
      `SELECT e.* FROM events e JOIN customer_suggestions s ON s.conversation_id = e.conversation_id
       WHERE s.id = @id AND e.type = 'identity_suggested' AND e.data ->> '$.suggestionId' = @id`,
      { id: suggestionId },
    )
  }

  async conversationsOf(customerId: string): Promise<Conversation[]> {
    return this.many('conversation', 'SELECT * FROM conversations WHERE customer_id = ? ORDER BY created_at, id', [customerId])
  }

  async conversationItems(conversationId: string): Promise<ConversationItems> {
    const all = <E extends 'message' | 'note' | 'call' | 'event'>(entity: E, table: string): EntityTypes[E][] =>
      this.many(entity, `SELECT * FROM ${table} WHERE conversation_id = ? ORDER BY id`, [conversationId])
    return {
      messages: all('message', 'messages'),
      notes: all('note', 'notes'),
      calls: all('call', 'calls'),
      events: all('event', 'events'),
    }
  }

  async customerItems<K extends CustomerItemKind>(customerId: string, kind: K, limit: number, after?: string): Promise<Page<CustomerItemTypes[K]>> {
    const { table, at } = CUSTOMER_ITEM_TABLES[kind]
    const cursor = decodeCursor(after)
    // A row-value comparison, not an OR, so each page starts where the index says rather than at the customer's first row.
    const rows = this.many(
      kind,
      `SELECT * FROM ${table} WHERE customer_id = @customerId ${cursor ? `AND (${at}, id) > (@at, @id)` : ''}
       ORDER BY ${at}, id LIMIT @limit`,
      { customerId, limit: limit + 1, ...(cursor ? { at: cursor[0], id: cursor[1] } : {}) },
    ) as CustomerItemTypes[K][]
    const items = rows.slice(0, limit)
    const last = items.at(-1)
    return { items, next: rows.length > limit && last ? encodeCursor([customerItemTime(kind, last), last.id]) : null }
  }

  async getCustomerMerge(id: string): Promise<CustomerMerge | null> {
    const r = this.stmt('SELECT * FROM customer_merges WHERE id = ?').get(id) as
      | { id: string; source_id: string; target_id: string; moved: string; merged_by: string; merged_at: number; undone_at: number | null }
      | undefined
    if (!r) return null
    return {
      id: r.id,
      sourceId: r.source_id,
      targetId: r.target_id,
      moved: JSON.parse(r.moved) as CustomerMerge['moved'],
      mergedBy: r.merged_by,
      mergedAt: r.merged_at,
      undoneAt: r.undone_at,
    }
  }

  async getUser(id: string): Promise<User | null> {
    return this.byId('user', id)
  }

  async getUserByEmail(email: string): Promise<User | null> {
    return this.one('user', 'SELECT * FROM users WHERE email = ?', [email.trim().toLowerCase()])
  }

  async listUsers(): Promise<User[]> {
    return this.many('user', 'SELECT * FROM users ORDER BY name, id', [])
  }

  async teamsInUse(): Promise<string[]> {
    const rows = this.stmt(
      'SELECT team FROM users WHERE team IS NOT NULL UNION SELECT team FROM conversations WHERE team IS NOT NULL ORDER BY 1',
    ).all() as { team: string }[]
    return rows.map((r) => r.team)
  }

  async apiTokenByHash(tokenHash: string): Promise<StoredApiToken | null> {
    const row = this.stmt('SELECT * FROM api_tokens WHERE token_hash = ?').get(tokenHash) as ApiTokenRow | undefined
    return row ? apiTokenOf(row) : null
  }

  async apiTokensByHash(tokenHashes: readonly string[]): Promise<StoredApiToken[]> {
    return this.stmt('SELECT * FROM api_tokens WHERE token_hash IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(tokenHashes))
      .map((r) => apiTokenOf(r as ApiTokenRow))
  }

  async getApiToken(id: string): Promise<StoredApiToken | null> {
    const row = this.stmt('SELECT * FROM api_tokens WHERE id = ?').get(id) as ApiTokenRow | undefined
    return row ? apiTokenOf(row) : null
  }

  async listApiTokens(userId: string | null): Promise<StoredApiToken[]> {
    return this.stmt('SELECT * FROM api_tokens WHERE @userId IS NULL OR user_id = @userId ORDER BY created_at DESC, id')
      .all({ userId })
      .map((r) => apiTokenOf(r as ApiTokenRow))
  }

  async integrationByTokenHash(tokenHash: string): Promise<IntegrationInfo | null> {
    const row = this.stmt('SELECT * FROM integrations WHERE token_hash = ?').get(tokenHash) as IntegrationRow | undefined
    return row ? integrationOf(row) : null
  }

  async getIntegration(id: string): Promise<IntegrationInfo | null> {
    const row = this.stmt('SELECT * FROM integrations WHERE id = ?').get(id) as IntegrationRow | undefined
    return row ? integrationOf(row) : null
  }

  async listIntegrations(): Promise<IntegrationInfo[]> {
    return this.stmt('SELECT * FROM integrations ORDER BY created_at, id')
      .all()
      .map((r) => integrationOf(r as IntegrationRow))
  }

  async passwordHashOf(userId: string): Promise<string | null> {
    const row = this.stmt('SELECT hash FROM user_passwords WHERE user_id = ?').get(userId) as { hash: string } | undefined
    return row?.hash ?? null
  }

  async getCustomer(id: string): Promise<Customer | null> {
    return this.byId('customer', id)
  }

  /**
   * Customers merged into another are not listed: a match on one (its old name) stands for the
   * customer it was merged into, once. The merged-away names are found through the merges
   * (few rows) rather than by reading every customer, and merges can chain (A into B, then B
   * into C), so the customer that stands is reached by following merged_into by primary key.
   *
   * A match is LIKE '%query%' (ASCII letters folded) on the name or an identity's address. A
   * query of 3 characters or more is looked up in the trigram index (migration 22), which
   * finds exactly those rows, unless it finds so many that walking the customers newest first
   * and testing each reaches a page sooner (a query in most addresses: "gmail"). Shorter
   * queries, in most names, take that walk too.
   */
  async searchCustomers(search: CustomerSearch): Promise<Customer[]> {
    const scope = scopeParam(search.scope)
    if (!search.query) {
      return this.many(
        'customer',
        `SELECT * FROM customers WHERE merged_into IS NULL AND ${CUSTOMER_IN_SCOPE}
         ORDER BY last_activity_at DESC, id LIMIT @limit OFFSET @offset`,
        { scope, limit: search.limit, offset: search.offset },
      )
    }
    const page = { scope, limit: search.limit, offset: search.offset }
    const like = `%${search.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    const match = trigramMatch(search.query)
    if (match !== null) {
      const wanted = search.limit + search.offset
      const cap = Math.max(SEARCH_INDEX_MIN_HITS, wanted * SEARCH_INDEX_HITS_PER_RESULT)
      const hits = (this.stmt(SEARCH_INDEX_HITS).get({ match, cap }) as { n: number }).n
      if (hits < cap) return this.many('customer', SEARCH_BY_INDEX, { ...page, like, match })
    }
    return this.many('customer', SEARCH_BY_WALK, { ...page, like })
  }

  async customerVisible(customerId: string, scope: InboxScope): Promise<boolean> {
    if (scope === null) return true
    return this.stmt(`SELECT 1 FROM customers WHERE id = @id AND ${CUSTOMER_IN_SCOPE}`).get({ id: customerId, scope: scopeParam(scope) }) !== undefined
  }

  async identitiesOf(customerId: string): Promise<Identity[]> {
    return this.identityRows(customerId)
  }

  protected identityRows(customerId: string): Identity[] {
    return this.many('identity', 'SELECT * FROM identities WHERE customer_id = ? ORDER BY created_at, id', [customerId])
  }

  async getIdentity(id: string): Promise<Identity | null> {
    return this.byId('identity', id)
  }

  async findIdentity(kind: IdentityKind, address: string): Promise<Identity | null> {
    return this.one('identity', 'SELECT * FROM identities WHERE kind = ? AND address = ?', [kind, address])
  }

  async getConversation(id: string): Promise<Conversation | null> {
    return this.byId('conversation', id)
  }

  async listConversations(f: ConversationFilter): Promise<Page<Conversation>> {
    const where: string[] = [scopeClause('inbox')]
    const params: Record<string, unknown> = { scope: scopeParam(f.scope), limit: f.limit + 1 }
    const filter = (column: string, key: string, value: unknown): void => {
      if (value === undefined) return
      where.push(`${column} = @${key}`)
      params[key] = value
    }
    filter('status', 'status', f.status)
    filter('inbox', 'inbox', f.inbox)
    filter('channel', 'channel', f.channel)
    filter('customer_id', 'customerId', f.customerId)
    if (f.assigneeId === null) where.push('assignee_id IS NULL')
    else filter('assignee_id', 'assigneeId', f.assigneeId)
    const after = decodeCursor(f.after)
    if (after) {
      where.push('(last_message_at < @at OR (last_message_at = @at AND id > @id))')
      params.at = after[0]
      params.id = after[1]
    }
    const rows = this.many(
      'conversation',
      `SELECT * FROM conversations WHERE ${where.join(' AND ')} ORDER BY last_message_at DESC, id LIMIT @limit`,
      params,
    )
    const items = rows.slice(0, f.limit)
    const last = items.at(-1)
    return { items, next: rows.length > f.limit && last ? encodeCursor([last.lastMessageAt, last.id]) : null }
  }

  async conversationByThreadKey(channel: Channel, threadKey: string): Promise<Conversation | null> {
    return this.one(
      'conversation',
      `SELECT c.* FROM conversation_threads t JOIN conversations c ON c.id = t.conversation_id
       WHERE t.channel = ? AND t.thread_key = ?`,
      [channel, threadKey],
    )
  }

  async conversationThreads(conversationId: string): Promise<ConversationThread[]> {
    const rows = this.stmt(
      'SELECT * FROM conversation_threads WHERE conversation_id = ? ORDER BY last_at DESC, thread_key',
    ).all(conversationId) as ThreadRow[]
    return rows.map(threadOf)
  }

  async latestConversationOnChannel(customerId: string, channel: Channel, inbox: string | null): Promise<Conversation | null> {
    return this.one(
      'conversation',
      `SELECT c.* FROM conversations c
       WHERE c.customer_id = @customerId AND EXISTS (
         SELECT 1 FROM conversation_threads t
         WHERE t.conversation_id = c.id AND t.channel = @channel AND (@inbox IS NULL OR t.inbox = @inbox))
       ORDER BY c.last_message_at DESC, c.rowid DESC LIMIT 1`, // two in one millisecond: the newer one
      { customerId, channel, inbox },
    )
  }

  async getEvent(id: string): Promise<TimelineEvent | null> {
    return this.byId('event', id)
  }

  async latestEventOfType(customerId: string, type: TimelineEvent['type']): Promise<TimelineEvent | null> {
    return this.one('event', 'SELECT * FROM events WHERE customer_id = ? AND type = ? ORDER BY created_at DESC, id DESC LIMIT 1', [customerId, type])
  }

  async conversationByMessageExternalId(channel: Channel, externalIds: readonly string[]): Promise<Conversation | null> {
    if (externalIds.length === 0) return null
    return this.one(
      'conversation',
      `SELECT c.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.channel = ? AND m.external_id IN (SELECT value FROM json_each(?))
       ORDER BY m.sent_at DESC LIMIT 1`,
      [channel, JSON.stringify(externalIds)],
    )
  }

  async latestUnresolvedConversation(customerId: string): Promise<Conversation | null> {
    return this.one(
      'conversation',
      `SELECT * FROM conversations
       WHERE customer_id = ? AND status != 'resolved'
       ORDER BY last_message_at DESC, rowid DESC LIMIT 1`, // two in one millisecond: the newer one
      [customerId],
    )
  }

  async getMessage(id: string): Promise<Message | null> {
    return this.byId('message', id)
  }

  async messageByExternalId(channel: Channel, externalId: string): Promise<Message | null> {
    return this.one('message', 'SELECT * FROM messages WHERE channel = ? AND external_id = ?', [channel, externalId])
  }

  async listMessages(conversationId: string, limit: number, after?: string): Promise<Page<Message>> {
    const cursor = decodeCursor(after)
    const rows = this.many(
      'message',
      `SELECT * FROM messages WHERE conversation_id = @conversationId
         AND (@at IS NULL OR sent_at > @at OR (sent_at = @at AND id > @id))
       ORDER BY sent_at, id LIMIT @limit`,
      { conversationId, at: cursor?.[0] ?? null, id: cursor?.[1] ?? null, limit: limit + 1 },
    )
    const items = rows.slice(0, limit)
    const last = items.at(-1)
    return { items, next: rows.length > limit && last ? encodeCursor([last.sentAt, last.id]) : null }
  }

  async getNote(id: string): Promise<Note | null> {
    return this.byId('note', id)
  }

  async getSavedView(id: string): Promise<SavedView | null> {
    return this.byId('savedView', id)
  }

  async getSummary(id: string): Promise<Summary | null> {
    return this.byId('summary', id)
  }

  async getSummaries(ids: readonly string[]): Promise<Summary[]> {
    return this.many('summary', 'SELECT * FROM summaries WHERE id IN (SELECT value FROM json_each(?))', [JSON.stringify(ids)])
  }

  async summariesOf(customerId: string): Promise<Summary[]> {
    return this.many('summary', 'SELECT * FROM summaries WHERE customer_id = ? ORDER BY covers_through, id', [customerId])
  }

  async summaryUsage(day: string): Promise<SummaryUsage> {
    const row = this.stmt(
      'SELECT requests, prompt_tokens, completion_tokens, failures, fallbacks FROM summary_usage WHERE day = ?',
    ).get(day) as UsageRow | undefined
    return usageOf(row)
  }

  async summaryFeedback(limit: number): Promise<SummaryFeedback[]> {
    return (this.stmt('SELECT * FROM summary_feedback ORDER BY created_at DESC LIMIT ?').all(limit) as FeedbackRow[]).map(feedbackOf)
  }

  async getCall(id: string): Promise<Call | null> {
    return this.byId('call', id)
  }

  async callByExternalId(externalId: string): Promise<Call | null> {
    return this.one('call', 'SELECT * FROM calls WHERE external_id = ?', [externalId])
  }

  async timeline(customerId: string, scope: InboxScope, limit: number, before?: string): Promise<Page<TimelineEntry>> {
    const cursor = decodeCursor(before)
    const params = {
      customerId,
      scope: scopeParam(scope),
      at: cursor?.[0] ?? null,
      id: cursor?.[1] ?? null,
      limit: limit + 1,
    }
    const query = (table: string, at: string): string =>
      `SELECT t.* FROM ${table} t JOIN conversations c ON c.id = t.conversation_id
       WHERE t.customer_id = @customerId AND ${scopeClause('c.inbox')}
         AND (@at IS NULL OR t.${at} < @at OR (t.${at} = @at AND t.id < @id))
       ORDER BY t.${at} DESC, t.id DESC LIMIT @limit`
    const entries: TimelineEntry[] = [
      ...this.many('message', query('messages', 'sent_at'), params).map(
        (item): TimelineEntry => ({ kind: 'message', at: item.sentAt, item }),
      ),
      ...this.many('note', query('notes', 'created_at'), params).map(
        (item): TimelineEntry => ({ kind: 'note', at: item.createdAt, item }),
      ),
      ...this.many('call', query('calls', 'started_at'), params).map(
        (item): TimelineEntry => ({ kind: 'call', at: item.startedAt, item }),
      ),
      ...this.many('event', query('events', 'created_at'), params).map(
        (item): TimelineEntry => ({ kind: 'event', at: item.createdAt, item }),
      ),
    ]
    entries.sort((a, b) => b.at - a.at || (a.item.id < b.item.id ? 1 : a.item.id > b.item.id ? -1 : 0))
    const items = entries.slice(0, limit)
    const last = items.at(-1)
    return { items, next: entries.length > limit && last ? encodeCursor([last.at, last.item.id]) : null }
  }

  async queuedOutbound(limit: number): Promise<OutboundItem[]> {
    const messages = this.many('message', `SELECT * ${QUEUED_OUTBOUND} LIMIT ?`, [limit])
    return messages.map((message) => ({ message, recipient: this.recipientOf(message) }))
  }

  async queuedOutboundIds(limit: number): Promise<{ id: string; channel: Channel }[]> {
    return this.stmt(`SELECT id, channel ${QUEUED_OUTBOUND} LIMIT ?`).all(limit) as { id: string; channel: Channel }[]
  }

  async recipientFor(message: Message): Promise<Identity | null> {
    return this.recipientOf(message)
  }

  /** The identity an outbound message goes to: the customer's address on the message's channel. */
  private recipientOf(message: Message): Identity | null {
    const kind: IdentityKind = message.channel === 'sms' || message.channel === 'voice' ? 'phone' : message.channel
    return this.one(
      'identity',
      'SELECT * FROM identities WHERE customer_id = ? AND kind = ? ORDER BY created_at DESC, id LIMIT 1',
      [message.customerId, kind],
    )
  }

  async changesAfter(
    after: number,
    limit: number,
    scope: InboxScope,
    viewer: readonly string[] = [],
    options: { latest?: boolean } = {},
  ): Promise<PullResponse> {
    // One read snapshot: another process (the CLI) committing between the page query and the
    // newest-seq query would otherwise be skipped by the cursor.
    return this.db.transaction(() => this.changesAfterInSnapshot(after, limit, scope, viewer, options.latest ?? false))()
  }

  private changesAfterInSnapshot(after: number, limit: number, scope: InboxScope, viewer: readonly string[], latest: boolean): PullResponse {
    const rows = this.stmt(
      `SELECT seq, entity, entity_id, op, data FROM changes
       WHERE seq > @after
         AND (audience IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(audience) a WHERE a.value IN (SELECT value FROM json_each(@viewer)))
             AND (inbox IS NULL OR ${scopeClause('inbox')})
           OR audience IS NULL AND inbox IS NOT NULL AND ${scopeClause('inbox')}
           OR audience IS NULL AND inbox IS NULL AND (customer_id IS NULL OR ${customerScopeClause('changes.customer_id')})
             AND (covers IS NULL OR @scope IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(covers) c WHERE c.value NOT IN (SELECT value FROM json_each(@scope)))))
         ${latest ? `AND NOT ${supersededChange('IS')}` : ''}
       ORDER BY seq LIMIT @limit`,
    ).all({ after, limit: limit + 1, scope: scopeParam(scope), viewer: JSON.stringify(viewer) }) as {
      seq: number
      entity: EntityName
      entity_id: string
      op: 'upsert' | 'delete'
      data: string | null
    }[]
    const hasMore = rows.length > limit
    const changes: Change[] = rows.slice(0, limit).map((r) => ({
      seq: r.seq,
      entity: r.entity,
      id: r.entity_id,
      op: r.op,
      data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
    }))
    // Without more rows, everything up to the newest seq was scanned, including changes this
    // scope may not see, so the cursor moves past them too.
    const cursor = hasMore ? (changes.at(-1)?.seq ?? after) : Math.max(after, this.newestSeq())
    return { changes, cursor, hasMore }
  }

  async changesSince(after: number, limit: number): Promise<StoredChange[]> {
    const rows = this.stmt(
      'SELECT seq, entity, entity_id, op, data, inbox, customer_id, audience, covers FROM changes WHERE seq > ? ORDER BY seq LIMIT ?',
    ).all(after, limit) as {
      seq: number
      entity: EntityName
      entity_id: string
      op: 'upsert' | 'delete'
      data: string | null
      inbox: string | null
      customer_id: string | null
      audience: string | null
      covers: string | null
    }[]
    return rows.map((r) => ({
      seq: r.seq,
      entity: r.entity,
      id: r.entity_id,
      op: r.op,
      data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
      inbox: r.inbox,
      customerId: r.customer_id,
      audience: r.audience === null ? null : (JSON.parse(r.audience) as string[]),
      covers: r.covers === null ? null : (JSON.parse(r.covers) as string[]),
    }))
  }

  async lastSeq(): Promise<number> {
    return this.newestSeq()
  }

  private newestSeq(): number {
    const row = this.stmt('SELECT MAX(seq) AS seq FROM changes').get() as { seq: number | null }
    return row.seq ?? 0
  }

  async counts(): Promise<Counts> {
    const count = (table: string): number =>
      (this.stmt(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    return {
      customers: count('customers'),
      conversations: count('conversations'),
      messages: count('messages'),
      lastSeq: this.newestSeq(),
    }
  }

  async lastMutationId(clientId: string): Promise<number> {
    const row = this.stmt('SELECT last_mutation_id FROM client_mutations WHERE client_id = ?').get(clientId) as
      | { last_mutation_id: number }
      | undefined
    return row?.last_mutation_id ?? 0
  }

  async getConnectorState(connector: string, key: string): Promise<unknown> {
    const row = this.stmt('SELECT value FROM connector_state WHERE connector = ? AND key = ?').get(connector, key) as
      | { value: string }
      | undefined
    return row ? (JSON.parse(row.value) as unknown) : null
  }

  async customersNamedWithEmailDomain(name: string, domain: string, exceptCustomerId: string, limit: number): Promise<Customer[]> {
    const pattern = `%@${domain.replace(/[\\%_]/g, (c) => `\\${c}`)}`
    return this.many(
      'customer',
      `SELECT c.* FROM customers c
       WHERE c.name = @name COLLATE NOCASE AND c.id != @except
         AND EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.id AND i.kind = 'email' AND i.address LIKE @pattern ESCAPE '\\')
       ORDER BY c.last_activity_at DESC, c.id LIMIT @limit`,
      { name, except: exceptCustomerId, pattern, limit },
    )
  }

  async customersMergedInto(customerId: string): Promise<Customer[]> {
    // Through the merges (indexed by target): the customers table has no index on merged_into.
    return this.many(
      'customer',
      `SELECT c.* FROM customer_merges m JOIN customers c ON c.id = m.source_id AND c.merged_into = m.target_id
       WHERE m.target_id = ? AND m.undone_at IS NULL ORDER BY c.created_at, c.id`,
      [customerId],
    )
  }

  async getErasure(customerId: string): Promise<Erasure | null> {
    return erasures.getErasure((sql) => this.stmt(sql), customerId)
  }

  async resolvedConversationsBefore(before: number, after: { at: number; id: string } | null, limit: number): Promise<Conversation[]> {
    return this.many(
      'conversation',
      `SELECT * FROM conversations WHERE status = 'resolved' AND updated_at < @before
         AND (@afterAt IS NULL OR (updated_at, id) > (@afterAt, @afterId))
       ORDER BY updated_at, id LIMIT @limit`,
      { before, afterAt: after?.at ?? null, afterId: after?.id ?? '', limit },
    )
  }

  async slaDueConversations(at: number, limit: number): Promise<Conversation[]> {
    return this.many('conversation', 'SELECT * FROM conversations WHERE sla_due <= @at ORDER BY sla_due, id LIMIT @limit', { at, limit })
  }

  async reportingEventsBetween(from: number, to: number, scope: InboxScope): Promise<ReportingEvent[]> {
    return this.many(
      'reportingEvent',
      `SELECT * FROM reporting_events WHERE at >= @from AND at < @to AND ${scopeClause('inbox')} ORDER BY at, id`,
      { from, to, scope: scopeParam(scope) },
    )
  }

  async unresolvedConversations(scope: InboxScope): Promise<Conversation[]> {
    return this.many('conversation', `SELECT * FROM conversations WHERE status <> 'resolved' AND ${scopeClause('inbox')} ORDER BY id`, {
      scope: scopeParam(scope),
    })
  }

  async firstReportingEvent(conversationId: string, kind: ReportingEventKind): Promise<ReportingEvent | null> {
    const [first] = this.many(
      'reportingEvent',
      'SELECT * FROM reporting_events WHERE conversation_id = @conversationId AND kind = @kind ORDER BY at, id LIMIT 1',
      { conversationId, kind },
    )
    return first ?? null
  }

  async customersWithoutConversations(before: number, after: string | null, limit: number): Promise<Customer[]> {
    return this.many(
      'customer',
      `SELECT * FROM customers c WHERE c.merged_into IS NULL AND c.last_activity_at < @before AND c.id > @after
         AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.customer_id = c.id)
       ORDER BY c.id LIMIT @limit`,
      { before, after: after ?? '', limit },
    )
  }

  async listErasures(): Promise<Erasure[]> {
    return erasures.listErasures(this.db)
  }

  async heldEntities(customerId: string): Promise<HeldEntity[]> {
    return erasures.heldEntities(this.db, customerId)
  }

  async attachmentInUse(url: string): Promise<boolean> {
    return erasures.attachmentInUse(this.db, url)
  }

  async customerSuggestions(customerId: string): Promise<CustomerSuggestion[]> {
    return this.suggestionRows(customerId)
  }

  protected suggestionRows(customerId: string): CustomerSuggestion[] {
    const rows = this.stmt(
      `SELECT * FROM customer_suggestions WHERE customer_id = @id OR candidate_id = @id ORDER BY created_at DESC, id`,
    ).all({ id: customerId }) as {
      id: string
      customer_id: string
      candidate_id: string
      reason: CustomerSuggestion['reason']
      detail: string
      conversation_id: string
      status: CustomerSuggestion['status']
      created_at: number
    }[]
    return rows.map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      candidateId: r.candidate_id,
      reason: r.reason,
      detail: r.detail,
      conversationId: r.conversation_id,
      status: r.status,
      createdAt: r.created_at,
    }))
  }

  async dueDeadLetters(now: number, limit: number): Promise<DeadLetter[]> {
    return this.stmt('SELECT * FROM dead_letters WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?')
      .all(now, limit)
      .map((r) => deadLetterOf(r as DeadLetterRow))
  }

  async deadLetters(scope: InboxScope, limit: number): Promise<DeadLetter[]> {
    // A letter of no known inbox fails the scope clause (NULL IN …), so only an unscoped reader sees it.
    return this.stmt(`SELECT * FROM dead_letters WHERE ${scopeClause('inbox')} ORDER BY next_attempt_at, id LIMIT @limit`)
      .all({ scope: scopeParam(scope), limit })
      .map((r) => deadLetterOf(r as DeadLetterRow))
  }

  async auditEntries(query: AuditQuery): Promise<Page<AuditEntry>> {
    const values: (string | number)[] = []
    const where = auditWhere(query, (value) => {
      values.push(value)
      return '?'
    })
    const rows = this.stmt(`SELECT * FROM audit_log ${where} ORDER BY at DESC, id DESC LIMIT ?`).all(...values, query.limit + 1) as AuditRow[]
    return auditPage(rows, query.limit)
  }
}

/**
 * The writes, on the write connection: reached only through SqliteStore.write(), which holds the
 * transaction open around them, so reads through it see the transaction's own rows.
 */
class SqliteWrites extends SqliteReads implements StoreWriter {
  private pending: StoredChange[] | null = null
  /** Who the changes of the write in progress are recorded as made by. */
  private actor: Actor | null = null

  /** Starts collecting a transaction's changes. */
  begin(changes: StoredChange[]): void {
    this.pending = changes
  }

  /** Records the changes that follow as `actor`'s. */
  actAs(actor: Actor | null): void {
    this.actor = actor
  }

  end(): void {
    this.pending = null
    this.actor = null
  }

  async put<E extends EntityName>(entity: E, data: EntityTypes[E]): Promise<StoredChange> {
    if (!this.pending) throw new Error('store.put() outside store.write()')
    // A shape error here is a server bug; catching it before commit keeps bad rows out of every cache.
    const valid = ENTITY_SCHEMAS[entity].parse(data) as EntityTypes[E]
    const revealsCustomer = entity === 'conversation' && this.opensInboxToCustomer(valid as Conversation)
    const audience =
      entity === 'savedView' ? savedViewAudience(valid as SavedView, this.savedViewTeam(valid.id)) : entity === 'reportingEvent' ? REPORTING_AUDIENCE : null
    this.stmt(upsertSql(entity)).run(toRow(entity, valid))
    const change = this.recordChange(entity, valid, audience, coversOf(entity, valid))
    if (revealsCustomer) this.revealCustomer((valid as Conversation).customerId)
    return change
  }

  /** The team a stored saved view is shared with now, before a write changes it. */
  private savedViewTeam(id: string): string | null {
    return (this.stmt('SELECT team FROM saved_views WHERE id = ?').get(id) as { team: string | null } | undefined)?.team ?? null
  }

  private recordChange<E extends EntityName>(
    entity: E,
    valid: EntityTypes[E],
    audience: readonly string[] | null = null,
    covers: readonly string[] | null = null,
  ): StoredChange {
    const pending = this.pending
    if (!pending) throw new Error('store.put() outside store.write()')
    // A change nobody can be named for is a server bug: refused before it is written.
    if (!this.actor) throw new Error(`store.put(${entity}) in a write without an actor`)
    const inbox = this.inboxOf(entity, valid)
    const customerId = inbox === null ? customerOf(entity, valid) : null
    const info = this.stmt(
      'INSERT INTO changes (entity, entity_id, op, data, inbox, customer_id, audience, covers, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      entity,
      valid.id,
      'upsert',
      JSON.stringify(valid),
      inbox,
      customerId,
      audience ? JSON.stringify(audience) : null,
      covers ? JSON.stringify(covers) : null,
      this.actor,
      Date.now(),
    )
    const change: StoredChange = {
      seq: Number(info.lastInsertRowid),
      entity,
      id: valid.id,
      op: 'upsert',
      data: valid as unknown as Record<string, unknown>,
      inbox,
      customerId,
      audience,
      covers,
    }
    pending.push(change)
    return change
  }

  /**
   * Whether this write gives the customer their first conversation in an inbox (a new
   * conversation, or one moved by a merge or to another inbox). Readers of that inbox skipped
   * the customer's earlier rows, which they could not see then.
   */
  private opensInboxToCustomer(conversation: Conversation): boolean {
    const before = this.stmt('SELECT customer_id, inbox FROM conversations WHERE id = ?').get(conversation.id) as
      | { customer_id: string; inbox: string }
      | undefined
    if (before && before.customer_id === conversation.customerId && before.inbox === conversation.inbox) return false
    return (
      this.stmt('SELECT 1 FROM conversations WHERE customer_id = ? AND inbox = ? AND id != ? LIMIT 1').get(
        conversation.customerId,
        conversation.inbox,
        conversation.id,
      ) === undefined
    )
  }

  /**
   * Logs the customer's rows again, so that readers who may see them now receive them. A row
   * already logged in this transaction needs nothing: no reader's cursor has passed it, and by
   * the time it is read the conversation that makes it visible is committed too.
   */
  private revealCustomer(customerId: string): void {
    // The customer's own rows carry their id (customer and identity changes alike).
    const logged = new Set((this.pending ?? []).filter((c) => c.customerId === customerId).map((c) => c.id))
    const customer = this.byId('customer', customerId)
    if (customer && !logged.has(customer.id)) this.recordChange('customer', customer)
    for (const identity of this.identityRows(customerId)) {
      if (!logged.has(identity.id)) this.recordChange('identity', identity)
    }
  }

  private inboxOf(entity: EntityName, data: EntityTypes[EntityName]): string | null {
    if (entity === 'conversation') return (data as Conversation).inbox
    if ('conversationId' in data && data.conversationId !== null) {
      const row = this.stmt('SELECT inbox FROM conversations WHERE id = ?').get(data.conversationId) as
        | { inbox: string }
        | undefined
      if (!row) throw new Error(`${entity} ${data.id} refers to unknown conversation ${data.conversationId}`)
      return row.inbox
    }
    return null
  }

  async insertToken(token: Omit<StoredApiToken, 'lastUsedAt'>): Promise<void> {
    this.stmt('INSERT INTO api_tokens (id, token_hash, user_id, label, created_at) VALUES (?, ?, ?, ?, ?)').run(
      token.id,
      token.tokenHash,
      token.userId,
      token.label,
      token.createdAt,
    )
  }

  async insertIntegration(integration: IntegrationInfo, tokenHash: string): Promise<void> {
    this.stmt(
      `INSERT INTO integrations (id, name, inboxes, token_hash, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      integration.id,
      integration.name,
      JSON.stringify(integration.inboxes),
      tokenHash,
      integration.createdAt,
      integration.lastUsedAt,
      integration.revokedAt,
    )
  }

  async revokeIntegration(id: string, at: number): Promise<boolean> {
    return this.stmt('UPDATE integrations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0
  }

  async touchIntegration(id: string, at: number): Promise<void> {
    this.stmt('UPDATE integrations SET last_used_at = ? WHERE id = ?').run(at, id)
  }

  async touchToken(tokenHash: string, at: number): Promise<void> {
    this.stmt('UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?').run(at, tokenHash)
  }

  async deleteToken(tokenHash: string): Promise<boolean> {
    return this.stmt('DELETE FROM api_tokens WHERE token_hash = ?').run(tokenHash).changes > 0
  }

  async setPasswordHash(userId: string, hash: string): Promise<void> {
    this.stmt(
      `INSERT INTO user_passwords (user_id, hash, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
    ).run(userId, hash, Date.now())
  }

  async setLastMutationId(clientId: string, userId: string, mutationId: number): Promise<void> {
    this.stmt(
      `INSERT INTO client_mutations (client_id, user_id, last_mutation_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id, updated_at = excluded.updated_at`,
    ).run(clientId, userId, mutationId, Date.now())
  }

  async addDeadLetter(kind: string, inbox: string | null, payload: unknown, error: string, nextAttemptAt: number, actor: Actor | null = null): Promise<number> {
    const info = this.stmt(
      'INSERT INTO dead_letters (kind, inbox, payload, error, attempts, next_attempt_at, actor, created_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)',
    ).run(kind, inbox, JSON.stringify(payload), error, nextAttemptAt, actor, Date.now())
    return Number(info.lastInsertRowid)
  }

  async retryDeadLetterLater(id: number, error: string, nextAttemptAt: number): Promise<void> {
    this.stmt('UPDATE dead_letters SET attempts = attempts + 1, error = ?, next_attempt_at = ? WHERE id = ?').run(
      error,
      nextAttemptAt,
      id,
    )
  }

  async deleteDeadLetter(id: number): Promise<void> {
    this.stmt('DELETE FROM dead_letters WHERE id = ?').run(id)
  }

  async addCustomerSuggestion(s: CustomerSuggestion): Promise<boolean> {
    const info = this.stmt(
      `INSERT OR IGNORE INTO customer_suggestions
         (id, customer_id, candidate_id, reason, detail, conversation_id, status, created_at)
       VALUES (@id, @customerId, @candidateId, @reason, @detail, @conversationId, @status, @createdAt)`,
    ).run(s)
    return info.changes === 1
  }

  async setConnectorState(connector: string, key: string, value: unknown): Promise<void> {
    this.stmt(
      `INSERT INTO connector_state (connector, key, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ).run(connector, key, JSON.stringify(value), Date.now())
  }

  async setSuggestionStatus(id: string, status: CustomerSuggestion['status']): Promise<void> {
    this.stmt('UPDATE customer_suggestions SET status = ? WHERE id = ?').run(status, id)
  }

  async settleSuggestionsBetween(a: string, b: string, status: CustomerSuggestion['status']): Promise<CustomerSuggestion[]> {
    const open = this.suggestionRows(a).filter(
      (s) => s.status === 'open' && (s.customerId === b || s.candidateId === b),
    )
    for (const s of open) this.stmt('UPDATE customer_suggestions SET status = ? WHERE id = ?').run(status, s.id)
    return open.map((s) => ({ ...s, status }))
  }

  async addCustomerMerge(m: CustomerMerge): Promise<void> {
    this.stmt(
      `INSERT INTO customer_merges (id, source_id, target_id, moved, merged_by, merged_at, undone_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(m.id, m.sourceId, m.targetId, JSON.stringify(m.moved), m.mergedBy, m.mergedAt, m.undoneAt)
  }

  async putThread(t: ConversationThread): Promise<void> {
    this.stmt(
      `INSERT INTO conversation_threads (channel, thread_key, conversation_id, inbox, last_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (channel, thread_key) DO UPDATE SET
         conversation_id = excluded.conversation_id, inbox = excluded.inbox, last_at = max(last_at, excluded.last_at)`,
    ).run(t.channel, t.threadKey, t.conversationId, t.inbox, t.lastAt)
  }

  async holdErasure(erasure: Erasure, entities: readonly HeldEntity[]): Promise<StoredChange[]> {
    if (!this.pending) throw new Error('store.holdErasure() outside store.write()')
    // Where each row was seen, before the rows go: a row of another customer (an event naming
    // them) is dropped by its own delete, which reaches whoever sees its inbox.
    const inboxes = new Map(entities.map(({ entity, data }) => [data.id, this.inboxOf(entity, data)]))
    erasures.holdRows(this.db, erasure, entities)
    const erased = new Set(erasure.customerIds)
    const changes = erasure.customerIds.map((id) => this.recordDelete('customer', id, null))
    for (const { entity, data } of entities) {
      if (entity !== 'customer' && 'customerId' in data && data.customerId !== null && !erased.has(data.customerId)) {
        changes.push(this.recordDelete(entity, data.id, inboxes.get(data.id) ?? null))
      }
    }
    return changes
  }

  async deleteConversation(conversationId: string): Promise<string[]> {
    if (!this.pending) throw new Error('store.deleteConversation() outside store.write()')
    const conversation = await this.getConversation(conversationId)
    if (!conversation) return []
    const { messages, notes, calls, events } = await this.conversationItems(conversationId)
    const summaries = this.many('summary', 'SELECT * FROM summaries WHERE conversation_id = ?', [conversationId])
    const ids = JSON.stringify([conversationId])
    this.stmt('DELETE FROM summary_feedback WHERE summary_id IN (SELECT value FROM json_each(?))').run(JSON.stringify(summaries.map((s) => s.id)))
    this.stmt('DELETE FROM conversation_threads WHERE conversation_id IN (SELECT value FROM json_each(?))').run(ids)
    this.stmt('DELETE FROM customer_suggestions WHERE conversation_id IN (SELECT value FROM json_each(?))').run(ids)
    const rows: [EntityName, readonly { id: string }[]][] = [
      ['summary', summaries],
      ['event', events],
      ['call', calls],
      ['note', notes],
      ['message', messages],
      ['conversation', [conversation]],
    ]
    for (const [entity, of] of rows) {
      erasures.dropRows(this.db, entity, of.map((r) => r.id))
      for (const r of of) this.recordDelete(entity, r.id, conversation.inbox)
    }
    return messages.flatMap((m) => m.attachments.flatMap((a) => (a.url ? [a.url] : [])))
  }

  async releaseErasure(customerId: string): Promise<void> {
    erasures.releaseRows(this.db, customerId)
  }

  async purgeErasure(customerId: string, traces: readonly string[]): Promise<void> {
    erasures.purgeRows(this.db, customerId, traces)
  }

  /** A tombstone change; a customer's reaches every reader (shared/sync.ts: their erasure). */
  private recordDelete(entity: EntityName, id: string, inbox: string | null): StoredChange {
    const pending = this.pending
    if (!pending) throw new Error('store write outside store.write()')
    if (!this.actor) throw new Error(`a delete of ${entity} in a write without an actor`)
    const info = this.stmt(
      `INSERT INTO changes (entity, entity_id, op, data, inbox, customer_id, audience, covers, actor, created_at)
       VALUES (?, ?, 'delete', NULL, ?, NULL, NULL, NULL, ?, ?)`,
    ).run(entity, id, inbox, this.actor, Date.now())
    const change: StoredChange = { seq: Number(info.lastInsertRowid), entity, id, op: 'delete', data: null, inbox, customerId: null }
    pending.push(change)
    return change
  }

  async markMergeUndone(id: string, at: number): Promise<void> {
    this.stmt('UPDATE customer_merges SET undone_at = ? WHERE id = ?').run(at, id)
  }

  async addSummaryUsage(day: string, d: SummaryUsage): Promise<void> {
    this.stmt(
      `INSERT INTO summary_usage (day, requests, prompt_tokens, completion_tokens, failures, fallbacks) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (day) DO UPDATE SET requests = requests + excluded.requests, prompt_tokens = prompt_tokens + excluded.prompt_tokens,
         completion_tokens = completion_tokens + excluded.completion_tokens, failures = failures + excluded.failures,
         fallbacks = fallbacks + excluded.fallbacks`,
    ).run(day, d.requests, d.promptTokens, d.completionTokens, d.failures, d.fallbacks)
  }

  async requestSummary(customerId: string, userId: string, at: number): Promise<void> {
    this.stmt('INSERT INTO summary_requests (customer_id, requested_by, requested_at) VALUES (?, ?, ?) ON CONFLICT (customer_id) DO NOTHING').run(
      customerId,
      userId,
      at,
    )
  }

  async takeSummaryRequests(limit: number): Promise<string[]> {
    const rows = this.stmt('DELETE FROM summary_requests WHERE customer_id IN (SELECT customer_id FROM summary_requests ORDER BY requested_at LIMIT ?) RETURNING customer_id, requested_at').all(
      limit,
    ) as { customer_id: string; requested_at: number }[]
    return rows.sort((a, b) => a.requested_at - b.requested_at).map((r) => r.customer_id)
  }

  async putSummaryFeedback(f: SummaryFeedback): Promise<void> {
    this.stmt(
      `INSERT INTO summary_feedback (summary_id, user_id, generated_at, rating, provider, model, summary_text, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (summary_id, user_id, generated_at) DO UPDATE SET rating = excluded.rating, created_at = excluded.created_at`,
    ).run(f.summaryId, f.userId, f.generatedAt, f.rating, f.provider, f.model, f.summaryText, f.createdAt)
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.stmt(`INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`).run(
      ...auditValues(entry, JSON.stringify),
    )
  }

  async pruneAudit(before: number): Promise<number> {
    return this.stmt('DELETE FROM audit_log WHERE at < ?').run(before).changes
  }

}

/**
 * SQLite behind the store interface. Writes go through one connection, one transaction at a time;
 * reads go through a second connection, so a read that arrives while a write's transaction is
 * open sees what is committed, never the write's rows in progress (WAL lets both run at once).
 */
class SqliteStore extends SqliteReads implements Store {
  private readonly writer: SqliteWrites
  /** Settles when the write in progress (and every write queued before) has finished. */
  private queue: Promise<unknown> = Promise.resolve()
  private commitListener: ((changes: StoredChange[]) => void) | null = null

  constructor(
    private readonly writeDb: Database.Database,
    readDb: Database.Database,
  ) {
    super(readDb)
    this.writer = new SqliteWrites(writeDb)
  }

  compact(): Promise<void> {
    return this.exclusive(async () => {
      // VACUUM writes the whole file afresh without the free pages; it goes through the WAL, so
      // the WAL is checkpointed and cut to nothing before and after.
      this.writeDb.pragma('wal_checkpoint(TRUNCATE)')
      this.writeDb.exec('VACUUM')
      this.writeDb.pragma('wal_checkpoint(TRUNCATE)')
    })
  }

  onCommit(listener: (changes: StoredChange[]) => void): void {
    this.commitListener = listener
  }

  /** Runs `fn` once every write queued before it has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  write<T>(fn: (w: StoreWriter) => Promise<T>, actor?: Actor): Promise<{ result: T; changes: StoredChange[] }> {
    return this.exclusive(async () => {
      const changes: StoredChange[] = []
      const result = await this.transaction(changes, async () => {
        this.writer.actAs(actor ?? null)
        return fn(this.writer)
      })
      return { result, changes }
    })
  }

  writeEach<T>(writes: readonly ActorWrite<T>[]): Promise<{ outcomes: WriteOutcome<T>[]; changes: StoredChange[] }> {
    return this.exclusive(async () => {
      const changes: StoredChange[] = []
      const outcomes = await this.transaction(changes, async () => {
        const outcomes: WriteOutcome<T>[] = []
        for (const { actor, run } of writes) {
          const mark = changes.length
          this.writer.actAs(actor)
          // A savepoint per write: a throw undoes this write alone.
          this.writeDb.exec('SAVEPOINT item')
          try {
            const result = await run(this.writer)
            this.writeDb.exec('RELEASE item')
            outcomes.push({ ok: true, result })
          } catch (error) {
            this.writeDb.exec('ROLLBACK TO item')
            this.writeDb.exec('RELEASE item')
            changes.length = mark
            outcomes.push({ ok: false, error })
          }
        }
        return outcomes
      })
      return { outcomes, changes }
    })
  }

  /** One transaction around `fn`, its changes collected in `changes` and announced after commit. */
  private async transaction<T>(changes: StoredChange[], fn: () => Promise<T>): Promise<T> {
    // IMMEDIATE takes the write lock first, waiting out another writer (the CLI) for the busy
    // timeout: a deferred transaction that read first is refused at once when it turns to
    // writing after the other one committed.
    this.writeDb.exec('BEGIN IMMEDIATE')
    this.writer.begin(changes)
    try {
      const result = await fn()
      this.writeDb.exec('COMMIT')
      if (changes.length > 0) this.commitListener?.(changes)
      return result
    } catch (err) {
      // SQLite may already have rolled back (a full disk, say); then there is nothing to undo.
      if (this.writeDb.inTransaction) this.writeDb.exec('ROLLBACK')
      throw err
    } finally {
      this.writer.end()
    }
  }

  async close(): Promise<void> {
    // Writes already queued finish first.
    await this.queue
    this.writeDb.close()
    this.db.close()
  }
}
